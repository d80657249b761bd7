#!/usr/bin/env python3
"""End-to-end smoke run of the fault runner (bench/faults, docs/reliability.md):
one fast trial of each of the six campaigns, so that the runner cannot rot.
The runner starts its own dockerd, registry and loop file systems (it never
touches the shared engine), so this needs root.

usage: test_faults_smoke.py SUPERVISOR TESTENV_DIR
Passes when every campaign's trials converged with no container duplicated,
no volume byte lost and no store file corrupted."""
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
RUNNER = os.path.join(HERE, "..", "..", "bench", "faults", "run.py")
SUPERVISOR = sys.argv[1]
TRIALS = os.environ.get("FAULTS_SMOKE_TRIALS", "1")


def main():
    if os.geteuid() != 0:
        print("e2e.faults_smoke: needs root (its own dockerd, loop mounts)\ne2e.faults_smoke: 0 passed, 1 failed")
        return 1
    with tempfile.TemporaryDirectory(prefix="faults-smoke-") as work:
        results = os.path.join(work, "results.jsonl")
        run = subprocess.run([sys.executable, RUNNER, "--campaign", "all", "--trials", TRIALS, "--quick",
                              "--supervisor", SUPERVISOR, "--results", results, "--bound", "60"],
                             capture_output=True, text=True, timeout=200)
        print(run.stdout[-6000:])
        print(run.stderr[-3000:], file=sys.stderr)
        summaries = [json.loads(line.split(" ", 1)[1]) for line in run.stdout.splitlines()
                     if line.startswith("summary ")]
        failed = 0
        for name in ("kill9", "engine_restart", "power_loss", "disk_full", "network", "bad_input"):
            s = next((s for s in summaries if s["campaign"] == name), None)
            good = bool(s and s["trials"] >= 1 and s["converged"] == s["trials"] and not s["duplicates"]
                        and not s["bytes_lost"] and not s["store_corrupt"])
            failed += not good
            print(f"{'ok  ' if good else 'FAIL'} {name}: {s}")
        if run.returncode != 0:
            failed += 1
            print(f"FAIL the runner exited {run.returncode}")
    print(f"e2e.faults_smoke: {6 - min(failed, 6)} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

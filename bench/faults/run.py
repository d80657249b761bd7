#!/usr/bin/env python3
"""The fault runner: drives the supervisor daemon as a process against an
engine, a registry and file systems of its own, injects one fault per trial
at a random point of a real update, and checks the device from the outside
(docs/reliability.md).

  python3 bench/faults/run.py --campaign kill9 --trials 200
  python3 bench/faults/run.py --campaign all --trials 2      (the CI smoke run)

Campaigns: kill9, engine_restart, power_loss, disk_full, network, bad_input.
Needs root (dockerd, loop mounts), dockerd, docker-registry, busybox-static.
Appends one JSON line per trial to --results and prints a summary per
campaign; exits 1 when a trial did not converge, lost data or duplicated a
container."""
import argparse
import json
import os
import secrets
import shutil
import signal
import statistics
import sys
import tempfile
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from campaigns import CAMPAIGNS, harness_for  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def summarize(name, records):
    seconds = sorted(r["seconds"] for r in records if r.get("seconds") is not None)
    out = {"campaign": name, "trials": len(records), "converged": sum(bool(r.get("converged")) for r in records),
           "duplicates": sum(r.get("duplicates", 0) for r in records),
           "bytes_lost": sum(r.get("bytes_lost", 0) for r in records),
           "store_corrupt": sum(bool(r.get("store_corrupt")) for r in records)}
    if seconds:
        out.update(min=seconds[0], median=round(statistics.median(seconds), 2), max=seconds[-1])
    return out


def run_campaign(args, name, results_file):
    campaign = CAMPAIGNS[name]()
    prefix = f"faults-{secrets.token_hex(3)}"
    workdir = tempfile.mkdtemp(prefix=f"{prefix}-", dir=args.workdir)
    seed = args.seed if args.seed is not None else secrets.randbits(32)
    # A copy: a rebuild during a long campaign must not change (or, while
    # the linker writes it, break) what the trials start.
    supervisor = os.path.join(workdir, "supervisor")
    shutil.copy2(args.supervisor, supervisor)
    h = harness_for(type(campaign), supervisor, workdir, prefix, seed, args.bound)
    h.quick = args.quick
    if name == "network":
        campaign.mode = args.network_mode
    records = []
    print(f"{name}: seed {seed}, work dir {workdir}", flush=True)
    try:
        campaign.setup(h)
        for trial in range(1, args.trials + 1):
            started = time.time()
            try:
                record = campaign.trial(h)
            except Exception as error:  # a trial the runner could not finish counts as not converged
                record = {"converged": False, "problems": [f"runner: {error!r}"], "duplicates": 0,
                          "bytes_lost": 0, "store_corrupt": False}
                traceback.print_exc()
            record.update(campaign=name, trial=trial, seed=seed, wall=round(time.time() - started, 1))
            records.append(record)
            results_file.write(json.dumps(record) + "\n")
            results_file.flush()
            mark = "ok  " if record["converged"] else "FAIL"
            detail = {k: v for k, v in record.items() if k not in ("campaign", "trial", "seed", "problems")}
            print(f"{mark} {name} {trial}/{args.trials} {detail}" +
                  (f"\n     {record['problems']}" if record.get("problems") else ""), flush=True)
            if not record["converged"]:
                if args.stop_on_failure:
                    break
                try:
                    reset = h.reset()
                except Exception as error:  # noqa: BLE001 (said, and the next trial shows it)
                    reset = False
                    print(f"     reset failed: {error!r}", flush=True)
                print(f"     device reset after the failed trial: {'settled' if reset else 'NOT settled'}", flush=True)
    finally:
        if records and not all(r["converged"] for r in records):
            shutil.copy(h.log_path, os.path.join(args.workdir, f"{prefix}-daemon.log"))
            print(f"daemon log kept: {os.path.join(args.workdir, prefix + '-daemon.log')}")
        h.close()
        shutil.rmtree(workdir, ignore_errors=True)
    return summarize(name, records)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--campaign", required=True, choices=[*CAMPAIGNS, "all"])
    parser.add_argument("--trials", type=int, default=10)
    parser.add_argument("--supervisor", default=os.path.join(ROOT, "build", "bin", "supervisor"))
    parser.add_argument("--bound", type=float, default=120, help="seconds to converge after the fault ends")
    parser.add_argument("--seed", type=int)
    parser.add_argument("--results", default=None, help="JSON lines, one per trial (appended)")
    parser.add_argument("--workdir", default="/tmp")
    parser.add_argument("--stop-on-failure", action="store_true")
    parser.add_argument("--network-mode", choices=["reset", "blackhole"], default="reset",
                        help="network campaign: connections reset (default) or a silent link")
    parser.add_argument("--quick", action="store_true", help="no timed update to place the faults (CI smoke run)")
    args = parser.parse_args()
    if os.geteuid() != 0:
        print("the fault runner needs root (its own dockerd, loop mounts)")
        return 2
    names = list(CAMPAIGNS) if args.campaign == "all" else [args.campaign]
    results_path = args.results or os.path.join(args.workdir, f"faults-results-{int(time.time())}.jsonl")
    summaries = []

    def on_term(signum, frame):  # teardown runs in the finally blocks
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, on_term)
    with open(results_path, "a") as results_file:
        for name in names:
            summaries.append(run_campaign(args, name, results_file))
    print(f"results: {results_path}")
    for s in summaries:
        print("summary " + json.dumps(s))
    bad = any(s["converged"] != s["trials"] or s["bytes_lost"] or s["duplicates"] or s["store_corrupt"]
              for s in summaries)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Switch-over time: the daemon started on a device the balena supervisor ran
(its v19 database and its containers, made as tests/e2e/test_switch_over.py
makes them) until the device is settled with nothing changed (no container
created, started, killed or removed; checked on every run). Runs the e2e
test's first part with N services (default 10) RUNS times and prints each
time and the median.

usage: switch_over_bench.py SUPERVISOR TESTENV_DIR [SERVICES] [RUNS]
"""
import os
import re
import statistics
import subprocess
import sys

SUPERVISOR, TESTENV = sys.argv[1], sys.argv[2]
SERVICES = int(sys.argv[3]) if len(sys.argv) > 3 else 10
RUNS = int(sys.argv[4]) if len(sys.argv) > 4 else 3
TEST = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "e2e", "test_switch_over.py")

times = []
for run in range(RUNS):
    out = subprocess.run([sys.executable, TEST, SUPERVISOR, TESTENV, "--services", str(SERVICES)],
                         capture_output=True, text=True)
    found = re.search(r"switch-over of \d+ services .*: ([0-9.]+) s", out.stdout)
    if out.returncode != 0 or not found:
        print(out.stdout + out.stderr)
        sys.exit(f"run {run + 1} failed")
    times.append(float(found.group(1)))
    print(f"run {run + 1}: {times[-1]:.2f} s")
print(f"switch-over, {SERVICES} services, daemon start -> settled with nothing changed: "
      f"median {statistics.median(times):.2f} s (min {min(times):.2f}, max {max(times):.2f}, {RUNS} runs)")

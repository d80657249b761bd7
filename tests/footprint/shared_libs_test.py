#!/usr/bin/env python3
"""The supervisor binary loads exactly the shared libraries listed in
tests/footprint/shared_libraries.txt (issue 13).

Every shared library the daemon loads is resident memory taken from the
user's containers on the device: its relocated pages, its initialisers'
data and whatever it loads in turn (Debian's libcurl.so alone brought 32
libraries and ~6 MiB). So a new one fails this test until someone has
measured what it costs and updated the list.

usage: shared_libs_test.py SUPERVISOR EXPECTED_LIST
"""
import os
import re
import subprocess
import sys

# Not libraries on disk: the kernel's vDSO and the dynamic loader itself.
ALWAYS = re.compile(r"^(linux-vdso|linux-gate|ld-linux)")


def loaded_libraries(binary):
    """The sonames the dynamic loader maps for `binary`, dependencies of
    dependencies included (ldd walks DT_NEEDED recursively)."""
    out = subprocess.run(["ldd", binary], capture_output=True, text=True, check=True).stdout
    names = set()
    for line in out.splitlines():
        line = line.strip()
        if not line:
            continue
        name = line.split()[0]
        if "not found" in line:
            raise SystemExit(f"FAIL: {binary} needs {name}, which the loader cannot find")
        if not ALWAYS.match(os.path.basename(name)):
            names.add(os.path.basename(name))
    return names


def expected_libraries(path):
    with open(path) as f:
        return {line.split("#")[0].strip() for line in f if line.split("#")[0].strip()}


def main():
    binary, listed = sys.argv[1], sys.argv[2]
    loaded, expected = loaded_libraries(binary), expected_libraries(listed)
    added, gone = sorted(loaded - expected), sorted(expected - loaded)
    print(f"{binary}: {len(loaded)} shared libraries; {len(expected)} expected ({listed})")
    if added:
        print(f"FAIL: the supervisor now loads {', '.join(added)}, not in {listed}.\n"
              "Every shared library the daemon loads is resident memory taken from the user's containers\n"
              "on the device (its relocated pages, its initialisers' data and the libraries it loads in\n"
              "turn: Debian's libcurl.so alone brought 32 of them and ~6 MiB). Keep it out if you can\n"
              "(link statically what is used in part, or leave it to the code path that needs it). If it\n"
              "must stay, measure the idle RSS with bench/footprint_bench.py before and after, add it to\n"
              f"{listed} with the figure in a comment, and update README.md (Footprint).")
    if gone:
        print(f"FAIL: {', '.join(gone)} listed in {listed} but no longer loaded: remove them from the list\n"
              "(and update README.md, Footprint, with the measured saving).")
    if added or gone:
        return 1
    print("ok: " + ", ".join(sorted(loaded)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

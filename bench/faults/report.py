#!/usr/bin/env python3
"""The figures of docs/reliability.md from the runner's JSON lines:

  python3 bench/faults/report.py bench/faults/results/*.jsonl

One table row per campaign (trials, converged, time to converge after the
fault min/median/max, containers duplicated, volume bytes lost, store files
corrupted), then the breakdowns the campaigns record (strategy, lock,
where the fault landed) and every trial that did not converge."""
import collections
import json
import statistics
import sys

ORDER = ["kill9", "engine_restart", "power_loss", "disk_full", "network", "network blackhole", "bad_input"]


def load(paths):
    records = []
    for path in paths:
        with open(path) as f:
            records += [json.loads(line) for line in f if line.strip()]
    return records


def row(name, rs):
    secs = sorted(r["seconds"] for r in rs if r.get("seconds") is not None)
    timing = f"{secs[0]:.1f} / {statistics.median(secs):.1f} / {secs[-1]:.1f}" if secs else "-"
    return (f"| {name} | {len(rs)} | {sum(bool(r['converged']) for r in rs)} | {timing} | "
            f"{sum(r.get('duplicates', 0) for r in rs)} | {sum(r.get('bytes_lost', 0) for r in rs)} | "
            f"{sum(bool(r.get('store_corrupt')) for r in rs)} |")


def breakdown(rs, *keys):
    counts = collections.Counter(tuple(r.get(k) for k in keys) for r in rs)
    return ", ".join(f"{'/'.join(map(str, k))}: {n}" for k, n in sorted(counts.items(), key=str))


def main(paths):
    records = load(paths)
    # A trial the runner itself could not carry out (its own exception) says
    # nothing about the daemon: listed apart, not counted.
    runner_errors = [r for r in records if r.get("problems") and
                     all(str(p).startswith("runner:") for p in r["problems"])]
    records = [r for r in records if r not in runner_errors]
    by = collections.defaultdict(list)
    for r in records:
        # A silent link is its own row: its recovery waits for the pull's stall timeout.
        by[r["campaign"] + (" blackhole" if r.get("mode") == "blackhole" else "")].append(r)
    print("| campaign | trials | converged | converge after fault, s (min / median / max) | containers duplicated "
          "| volume bytes lost | store files corrupted |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for name in ORDER:
        if by.get(name):
            print(row(name, by[name]))
    print()
    for name in ORDER:
        rs = by.get(name)
        if not rs:
            continue
        placed = [r for r in rs if "mid_update" in r]
        print(f"- {name}: ", end="")
        if placed:
            print(f"fault mid-update (before the daemon said it had settled) in "
                  f"{sum(bool(r['mid_update']) for r in placed)} of {len(placed)}", end="")
        if name in ("kill9", "engine_restart", "power_loss", "disk_full"):
            print(f"; strategies {breakdown(rs, 'strategy')}", end="")
        if name == "kill9":
            print(f"; user lock held {sum(bool(r.get('locked')) for r in rs)}", end="")
            print(f"; supervisor lockfiles left after convergence "
                  f"{sum(bool(r.get('supervisor_locks_left')) for r in rs)}", end="")
        if name == "power_loss":
            print(f"; synced before the cut {sum(bool(r.get('synced')) for r in rs)}; target accepted before the cut "
                  f"{sum(bool(r.get('accepted_before_cut')) for r in rs)}", end="")
        if name == "disk_full":
            print(f"; filled/when {breakdown(rs, 'filled', 'when')}; error logged while full "
                  f"{sum(bool(r.get('logged_error')) for r in rs)}", end="")
        if name.startswith("network"):
            print(f"; mode {breakdown(rs, 'mode')}; pull retried (fetch logged twice or more) "
                  f"{sum(r.get('fetch_attempts', 0) >= 2 for r in rs)}", end="")
        if name == "bad_input":
            print(f"{'; ' if placed else ''}valid requests {sum(r.get('valid', 0) for r in rs)}, bad {sum(r.get('bad', 0) for r in rs)}; "
                  f"RSS start {min(r.get('rss_start_kb', 0) for r in rs)} kB, max "
                  f"{max(r.get('rss_max_kb', 0) for r in rs)} kB, end of last burst {rs[-1].get('rss_end_kb')} kB",
                  end="")
        print()
    for r in runner_errors:
        print(f"- runner error, not counted: {r['campaign']} trial {r['trial']}: {r['problems']}")
    failed = [r for r in records if not r["converged"]]
    if failed:
        print("\nNot converged:")
        for r in failed:
            print(f"- {r['campaign']} trial {r['trial']} (seed {r['seed']}): {r.get('problems')}")


if __name__ == "__main__":
    main(sys.argv[1:])

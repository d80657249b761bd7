#!/usr/bin/env python3
"""Seeds fuzz/corpus/<target>/: parse_request and planner from the
conformance stages (normalized plan requests, as check.py --print-request
prints them), the example requests and the one-app benchmark request;
target_state from the example release's local targets and the v3 target
states in fuzz/seeds/. Run from anywhere; idempotent."""
import json
import pathlib
import subprocess
import sys

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent
SHARED = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else REPO.parent / "shared"
TARGETS = ["parse_request", "planner"]


def stages(case):
    out = subprocess.run([sys.executable, str(SHARED / "conformance/check.py"), "--plan", "true",
                          "--print-request", str(case)], check=True, capture_output=True, text=True).stdout
    decoder, pos = json.JSONDecoder(), 0
    while True:
        while pos < len(out) and out[pos].isspace():
            pos += 1
        if pos >= len(out):
            return
        request, pos = decoder.raw_decode(out, pos)
        yield request


def main():
    seeds = {}
    for case in sorted((SHARED / "conformance/planner").glob("*.json")):
        for n, request in enumerate(stages(case), 1):
            seeds[f"{case.stem}-{n}.json"] = json.dumps(request, separators=(",", ":"), sort_keys=True)
    for example in sorted((REPO / "examples").glob("*.json")):
        seeds[f"example-{example.name}"] = example.read_text()
    seeds["bench-A1-S10.json"] = (SHARED / "bench/planner/A1-S10.json").read_text()
    targets = {"target_state": {p.name: p.read_text() for p in
                                sorted((REPO / "examples/release").glob("*.json")) + sorted((HERE / "seeds").glob("*.json"))}}
    for target in TARGETS:
        targets[target] = seeds
    for target, texts in targets.items():
        folder = HERE / "corpus" / target
        folder.mkdir(parents=True, exist_ok=True)
        for name, text in texts.items():
            (folder / name).write_text(text)
        print(f"{len(texts)} seeds in {target}")


if __name__ == "__main__":
    main()

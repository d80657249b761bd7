#!/usr/bin/env python3
"""`supervisor plan` as a user meets it: exit codes, messages, output forms.

usage: test_plan_cli.py SUPERVISOR EXAMPLES_DIR
Prints one line per check and a closing 'N passed, N failed' line.
"""
import json
import subprocess
import sys

supervisor, examples = sys.argv[1], sys.argv[2]
results = []


def run(args, stdin=""):
    return subprocess.run([supervisor, *args], input=stdin, capture_output=True, text=True, timeout=60)


def check(name, condition, detail=""):
    results.append(condition)
    print(("ok   " if condition else "FAIL ") + name + ("" if condition else f"\n     {detail}"))


p = run(["plan"], '{"target": {"apps": [{"services": [{"image": "web:1"}]}]}}')
steps = json.loads(p.stdout)["steps"] if p.returncode == 0 else []
check("plans a fetch for a new service", p.returncode == 0 and
      any(s["action"] == "fetch" and s["image"]["name"] == "web:1" for s in steps), p.stdout + p.stderr)
check("every step carries a reason", all(s.get("reason") for s in steps), p.stdout)

p = run(["plan"], '{"current": {"apps": [{"services": [{"appId": "one"}]}]}}')
check("a field of the wrong type exits 2 and names the field",
      p.returncode == 2 and "/current/apps/0/services/0/appId" in p.stderr and p.stdout == "",
      f"exit {p.returncode}: {p.stderr}")

p = run(["plan"], '{"current": ')
check("text that is not JSON exits 2 with a message", p.returncode == 2 and "not valid JSON" in p.stderr,
      f"exit {p.returncode}: {p.stderr}")

p = run(["plan", "/nonexistent/request.json"])
check("a missing file exits 2 and names it", p.returncode == 2 and "/nonexistent/request.json" in p.stderr,
      p.stderr)

p = run(["plan", "--bogus"])
check("an unknown option exits 2 with the usage", p.returncode == 2 and "usage" in p.stderr, p.stderr)

p = run(["plan", "--explain", f"{examples}/device-update.json"])
check("--explain prints one readable line per step with its reason",
      p.returncode == 0 and p.stdout.strip() and all(" -- " in line for line in p.stdout.strip().splitlines()),
      p.stdout)

p = run(["plan", "--all", f"{examples}/device-update.json"])
out = json.loads(p.stdout) if p.returncode == 0 else {}
batches = out.get("batches", [])
actions = [s["action"] for b in batches for s in b.get("steps", [])]
check("--all converges batch by batch", p.returncode == 0 and out.get("converged") is True and len(batches) > 3,
      p.stdout[:500] + p.stderr)
check("--all fetches before it kills and ends by releasing the lock",
      "fetch" in actions and "kill" in actions and actions.index("fetch") < actions.index("kill")
      and actions[-1] == "releaseLock", str(actions))

p = run(["plan", "--all", "--explain", f"{examples}/fresh-install.json"])
check("--all --explain shows batches and the end", p.returncode == 0 and "batch 1:" in p.stdout
      and "done: nothing left to do" in p.stdout, p.stdout[-300:])

p = run(["nonsense"])
check("an unknown command exits 2", p.returncode == 2, p.stderr)

passed = sum(results)
print(f"cli: {passed} passed, {len(results) - passed} failed")
sys.exit(0 if passed == len(results) else 1)

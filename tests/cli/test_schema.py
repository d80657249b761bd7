#!/usr/bin/env python3
"""schema/plan-request.schema.json accepts every request we ship or receive
(the examples and every normalized conformance stage) and rejects requests
with a field of the wrong type.

usage: test_schema.py SCHEMA EXAMPLES_DIR [CONFORMANCE_DIR]
Exits 77 (skipped) when the jsonschema module is missing.
"""
import json
import pathlib
import subprocess
import sys

try:
    import jsonschema
except ImportError:
    print("jsonschema is not installed: skipped")
    sys.exit(77)

schema_path, examples = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
conformance = pathlib.Path(sys.argv[3]) if len(sys.argv) > 3 else None
schema = json.loads(schema_path.read_text())
jsonschema.Draft202012Validator.check_schema(schema)
validator = jsonschema.Draft202012Validator(schema)
passed = failed = 0


def expect(name, request, valid):
    global passed, failed
    errors = list(validator.iter_errors(request))
    if (not errors) == valid:
        passed += 1
    else:
        failed += 1
        print(f"FAIL {name}: " + ("; ".join(e.message for e in errors[:3]) if errors else "accepted"))


for path in sorted(examples.glob("*.json")):
    expect(path.name, json.loads(path.read_text()), True)

if conformance and (conformance / "check.py").exists():
    out = subprocess.run([sys.executable, str(conformance / "check.py"), "--plan", "true", "--print-request",
                          str(conformance / "planner")], capture_output=True, text=True, check=True).stdout
    decoder = json.JSONDecoder()
    index = 0
    while index < len(out):
        while index < len(out) and out[index].isspace():
            index += 1
        if index >= len(out):
            break
        request, index = decoder.raw_decode(out, index)
        expect("conformance stage", request, True)

expect("appId as a string", {"current": {"apps": [{"appId": "1"}]}}, False)
expect("unknown status", {"current": {"apps": [{"services": [{"status": "Sleeping"}]}]}}, False)
expect("network without a name", {"target": {"apps": [{"networks": [{"config": {}}]}]}}, False)
expect("bad time", {"context": {"now": "yesterday"}}, False)
expect("locks as strings", {"context": {"locksHeld": ["1"]}}, False)

print(f"schema: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)

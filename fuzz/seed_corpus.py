#!/usr/bin/env python3
"""Seeds fuzz/corpus/<target>/: parse_request and planner from the
conformance stages (normalized plan requests, as check.py --print-request
prints them), the example requests and the one-app benchmark request;
target_state from the example release's local targets and the v3 target
states in fuzz/seeds/; json_intake from those and the captured cloud
answers' bodies; cloud_answer from every captured cloud answer
(reference/cloud-captures) as raw HTTP; engine_json from the engine's
documents in fuzz/seeds/engine/ (read from a real engine); config_json and
daemon_config from the documented keys. Run from anywhere; idempotent."""
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


REASONS = {200: "OK", 201: "Created", 304: "Not Modified", 400: "Bad Request", 401: "Unauthorized",
           403: "Forbidden", 404: "Not Found", 409: "Conflict", 429: "Too Many Requests",
           500: "Internal Server Error", 503: "Service Unavailable"}


def raw_http(status, headers, body):
    """A captured answer as the bytes on the wire, Content-Length recomputed."""
    if body is None:
        data = b""
    elif isinstance(body, str):
        data = body.encode()
    else:
        data = json.dumps(body, separators=(",", ":")).encode()
    lines = [f"HTTP/1.1 {status} {REASONS.get(status, 'Status')}"]
    for name, value in headers.items():
        if name.lower() not in ("content-length", "content-encoding", "transfer-encoding"):
            lines.append(f"{name}: {value}")
    lines.append(f"Content-Length: {len(data)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + data


def outside_seeds(target_state):
    captures = SHARED / "reference/cloud-captures"
    answers, bodies = {}, dict(target_state)
    for capture in sorted(captures.glob("[0-9]*.json")):
        response = json.loads(capture.read_text()).get("response")
        if not isinstance(response, dict) or "status" not in response:
            continue
        answers[capture.stem + ".http"] = raw_http(response["status"], response.get("headers") or {},
                                                   response.get("body"))
        if isinstance(response.get("body"), (dict, list)):
            bodies["answer-" + capture.name] = json.dumps(response["body"])
    answers["retry-after.http"] = raw_http(503, {"Retry-After": "30"}, "busy")
    answers["chunked.http"] = (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nETag: \"x\"\r\n\r\n"
                               b"4\r\n{\"d\"\r\n9\r\n:[{\"id\":1\r\n3\r\n}]}\r\n0\r\n\r\n")
    answers["continue.http"] = b"HTTP/1.1 100 Continue\r\n\r\n" + raw_http(201, {}, {"id": 7})
    config_json = {
        "device.json": (REPO / "tests/cloud/config_json_test.cpp").read_text().split('R"(')[1].split(')"')[0],
        "unmanaged.json": '{"deviceType":"generic-amd64","persistentLogging":false}',
        "provisioned.json": json.dumps({"uuid": "d42adeaa1b24a36d41121ac15c4bd337", "deviceApiKey": "k",
                                        "apiEndpoint": "https://api.example.com", "registered_at": 1700000000000,
                                        "deviceId": 12, "applicationId": 1, "listenPort": "48484",
                                        "balenaRootCA": "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==",
                                        "bootstrapRetryDelay": 1000, "developmentMode": "on"}),
    }
    daemon_config = {
        "empty.json": "{}",
        "full.json": json.dumps({"uuid": "u", "dataDir": "/tmp/d", "dockerHost": "unix:///run/docker.sock",
                                 "listenAddress": "127.0.0.1", "listenPort": 48484, "apiKey": "abc_123",
                                 "apiEndpoint": "", "configJsonPath": "/mnt/boot/config.json",
                                 "appsJsonPath": "/mnt/data/apps.json", "localMode": True, "deviceName": "local",
                                 "deviceType": "generic-amd64", "arch": "amd64", "appUpdatePollInterval": 900000,
                                 "recheckInterval": 30000, "backoffInitial": 500, "backoffMax": 60000,
                                 "logLevel": "debug"}),
        "bad-port.json": '{"listenPort": 70000}',
    }
    engine = {p.name: p.read_text() for p in sorted((HERE / "seeds/engine").iterdir())}
    # engine_json's first byte is the chunk size the stream is cut into.
    engine = {name: chr(0x20 + n) + text for n, (name, text) in enumerate(engine.items())}
    return {"cloud_answer": answers, "json_intake": bodies, "config_json": config_json,
            "daemon_config": daemon_config, "engine_json": engine}


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
    targets.update(outside_seeds(targets["target_state"]))
    for target, texts in targets.items():
        folder = HERE / "corpus" / target
        folder.mkdir(parents=True, exist_ok=True)
        for name, text in texts.items():
            if isinstance(text, bytes):
                (folder / name).write_bytes(text)
            else:
                (folder / name).write_text(text)
        print(f"{len(texts)} seeds in {target}")


if __name__ == "__main__":
    main()

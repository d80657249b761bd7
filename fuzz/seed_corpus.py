#!/usr/bin/env python3
"""Seeds fuzz/corpus/<target>/: parse_request and planner from the
conformance stages (normalized plan requests, as check.py --print-request
prints them), the example requests and the one-app benchmark request;
target_state from the example release's local targets and the v3 target
states in fuzz/seeds/; json_intake from those and the captured cloud
answers' bodies; cloud_answer from every captured cloud answer
(reference/cloud-captures) as raw HTTP; engine_json from the engine's
documents in fuzz/seeds/engine/ (read from a real engine); config_json and
daemon_config from the documented keys; local_api from every route of
local-api.md in local mode and with the key; balena_database from the
store tests' balena schemas. Run from anywhere; idempotent."""
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


# Every route of local-api.md §3-4 with a plausible body.
LOCAL_API_ROUTES = [
    ("GET", "/ping", None), ("GET", "/v1/healthy", None), ("POST", "/v1/blink", None),
    ("POST", "/v1/regenerate-api-key", None), ("POST", "/v1/update", {"force": True}),
    ("POST", "/v1/reboot", {"force": False}), ("POST", "/v1/shutdown", {}),
    ("POST", "/v1/restart", {"appId": 1}), ("POST", "/v1/purge", {"appId": 1, "force": True}),
    ("POST", "/v1/apps/1/stop", {}), ("POST", "/v1/apps/1/start", {}), ("GET", "/v1/apps/1", None),
    ("GET", "/v1/device", None), ("GET", "/v1/device/host-config", None),
    ("PATCH", "/v1/device/host-config", {"network": {"hostname": "x", "proxy": {"type": "socks5", "ip": "1.2.3.4",
                                                                               "port": 8123}}, "force": True}),
    ("POST", "/v2/applications/1/restart-service", {"serviceName": "web"}),
    ("POST", "/v2/applications/1/stop-service", {"imageId": 2}),
    ("POST", "/v2/applications/1/start-service", {"serviceName": "web", "force": True}),
    ("POST", "/v2/applications/1/restart", {}), ("POST", "/v2/applications/1/purge", {}),
    ("GET", "/v2/applications/state", None), ("GET", "/v2/applications/1/state", None),
    ("GET", "/v2/state/status", None), ("GET", "/v2/containerId?serviceName=web", None),
    ("GET", "/v2/version", None), ("GET", "/v2/device/name", None), ("GET", "/v2/device/tags", None),
    ("PATCH", "/v2/device/tags", {"DeviceLocation": "warehouse #3"}), ("GET", "/v2/device/vpn", None),
    ("GET", "/v2/cleanup-volumes", None), ("POST", "/v2/journal-logs", {"count": 10, "unit": "x"}),
    ("GET", "/v2/local/target-state", None), ("GET", "/v2/local/device-info", None),
    ("GET", "/v2/local/logs", None),
]


def local_api_seeds(targets):
    """Raw requests, the first byte choosing local mode (odd) or a checked key."""
    def request(method, path, body, key):
        path = path + ("&" if "?" in path else "?") + "apikey=secret_key" if key == "query" else path
        headers = ["Host: 127.0.0.1:48484"]
        if key == "header":
            headers.append("Authorization: Bearer secret_key")
        payload = b""
        if body is not None:
            payload = body if isinstance(body, bytes) else json.dumps(body).encode()
            headers += ["Content-Type: application/json", f"Content-Length: {len(payload)}"]
        return f"{method} {path} HTTP/1.1\r\n{''.join(h + chr(13) + chr(10) for h in headers)}\r\n".encode() + payload

    seeds = {}
    for n, (method, path, body) in enumerate(LOCAL_API_ROUTES):
        for mode, key in ((b"\x01", None), (b"\x00", "header"), (b"\x00", "query"), (b"\x00", None)):
            seeds[f"route-{n:02d}-{mode[0]}-{key}"] = mode + request(method, path, body, key)
    for name, text in targets.items():
        seeds[f"target-{name}"] = b"\x01" + request("POST", "/v2/local/target-state", text.encode(), None)
    return seeds


def balena_database_seeds():
    """database.sqlite files from the store tests' balena schemas (v11, v12,
    v19), small pages to stay within the fuzzer's input size, one with a
    fleet app and its rows; a cut one and an empty one."""
    import os
    import sqlite3
    import tempfile
    seeds = {"empty.sqlite": b""}
    for schema in sorted((REPO / "tests/store/balena").glob("schema_v*.sql")):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "database.sqlite")
            db = sqlite3.connect(path)
            db.execute("PRAGMA page_size = 512")
            db.executescript(schema.read_text())
            if schema.stem == "schema_v19":
                service = {"serviceName": "api", "serviceId": 11, "imageId": 1011, "appId": 1234567,
                           "releaseId": 2345678, "commit": "c0ffee", "image": "registry2.example/api@sha256:aa",
                           "environment": {"A": "1"}, "labels": {"io.balena.features.supervisor-api": "1"},
                           "composition": {"restart": "always"}}
                db.execute("INSERT INTO app (name, releaseId, `commit`, appId, services, networks, volumes, source, "
                           "uuid, class, isHost, rejected) VALUES ('fleet', 2345678, 'c0ffee', 1234567, ?, '{}', "
                           "'{\"data\":{}}', 'local', 'd149c5d1551b4286a930d57284a02511', 'fleet', 0, 0)",
                           (json.dumps([service]),))
                db.execute("INSERT INTO apiSecret (appId, key, scopes, serviceName) VALUES "
                           "(1234567, 'k1', '[{\"type\":\"app\",\"appId\":1234567}]', 'api')")
            db.commit()
            db.execute("VACUUM")
            db.close()
            data = pathlib.Path(path).read_bytes()
        seeds[f"{schema.stem}.sqlite"] = data
        seeds[f"{schema.stem}-cut.sqlite"] = data[:len(data) // 2]
    return seeds


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
    targets["local_api"] = local_api_seeds(targets["target_state"])
    targets["balena_database"] = balena_database_seeds()
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

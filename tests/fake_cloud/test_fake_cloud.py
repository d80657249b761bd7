#!/usr/bin/env python3
"""The fake cloud's own machinery: control API, request log and byte counts,
log streams, fault injection, TLS, start and stop.

usage: test_fake_cloud.py
Prints one line per check and a closing 'N passed, N failed' line.
"""
import gzip
import http.client
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from harness import FakeCloud, FakeCloudError  # noqa: E402

results = []
FLEET = "aaaa0000aaaa0000aaaa0000aaaa0000"
DEV, KEY, USER, PROV = "dddd0000dddd0000dddd0000dddd0001", "devkey1", "usertoken", "provkey"
COMMIT = "c0ffee00c0ffee00c0ffee00c0ffee00"


def check(name, condition, detail=""):
    results.append(bool(condition))
    print(("ok   " if condition else "FAIL ") + name + ("" if condition else "\n     %s" % (detail,)))


def app(commit=COMMIT, image="127.0.0.1:5000/web", env=None):
    return {FLEET: {"id": 7, "name": "fleet", "class": "fleet", "releases": {commit: {
        "id": 11, "services": {"web": {"id": 21, "image_id": 31, "image": image,
                                        "environment": env or {}, "labels": {}}}}}}}


def call(cloud, method, path, body=None, key=KEY, headers=None, raw=None):
    """(status, lower-case headers, body bytes) over a fresh connection."""
    conn = http.client.HTTPConnection("127.0.0.1", cloud.port, timeout=10)
    h = dict(headers or {})
    if key:
        h["Authorization"] = "Bearer " + key
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    if body is not None:
        h.setdefault("Content-Type", "application/json")
    conn.request(method, path, body=data, headers=h)
    resp = conn.getresponse()
    out = resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    conn.close()
    return out


def report(status="Idle", **more):
    return {DEV: dict(status=status, **more)}


def test_lifecycle():
    p = subprocess.run([sys.executable, os.path.join(HERE, "fake_cloud.py"), "--host", "0.0.0.0", "--port", "0"],
                       capture_output=True, text=True, timeout=20)
    check("a non-loopback --host is refused with a message", p.returncode == 2 and "loopback" in p.stderr,
          "exit %s: %s" % (p.returncode, p.stderr))
    cloud = FakeCloud().start()
    port, pid = cloud.port, cloud.proc.pid
    status, _, body = call(cloud, "GET", "/ping", key=None)
    check("starts, prints its port, answers /ping", port > 0 and status == 200 and body == b"OK", (status, body))
    cloud.stop()
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
        refused = False
    except OSError:
        refused = True
    check("stop() ends the server it started (pid %d)" % pid, refused and cloud.proc is None)


def test_control(cloud):
    try:
        cloud.control("GET", "nothing-here")
        err = ""
    except FakeCloudError as e:
        err = str(e)
    check("an unknown control endpoint is a 404 naming the doc", "404" in err and "fake_cloud.py" in err, err)
    try:
        cloud.set_target(apps={FLEET: {"id": 7, "name": "host", "is_host": True}})
        err = ""
    except FakeCloudError as e:
        err = str(e)
    check("a target without a fleet app is a 400 that says why", "400" in err and "fleet" in err, err)

    cloud.set_target(apps=app(), config={"RESIN_SUPERVISOR_DELTA": "1"}, env={"A": "1"})
    cloud.add_device(DEV, KEY, name="dev-one")
    status, h, body = call(cloud, "GET", "/device/v3/%s/state" % DEV)
    state = json.loads(body) if status == 200 else {}
    web = state.get(DEV, {}).get("apps", {}).get(FLEET, {}).get("releases", {}).get(COMMIT, {}) \
        .get("services", {}).get("web", {})
    check("the target set by control reaches the device (env composed)",
          status == 200 and web.get("environment") == {"A": "1"} and state[DEV]["name"] == "dev-one"
          and state[DEV]["config"]["RESIN_SUPERVISOR_DELTA"] == "1", body[:400])
    etag = h.get("etag", "")
    check("control state/<uuid> gives the same ETag", cloud.target_state(DEV)["etag"] == etag)
    cloud.set_target(apps=app(), config={"RESIN_SUPERVISOR_DELTA": "1"}, env={"A": "1"})
    status, _, _ = call(cloud, "GET", "/device/v3/%s/state" % DEV, headers={"If-None-Match": etag})
    check("the same target again keeps the ETag: 304", status == 304, status)
    cloud.set_target(config={"RESIN_SUPERVISOR_DELTA": "0"})
    status, h, _ = call(cloud, "GET", "/device/v3/%s/state" % DEV, headers={"If-None-Match": etag})
    check("a config change changes the ETag: 200", status == 200 and h.get("etag") not in ("", etag), h)
    check("control calls stay out of the request log",
          not any(r["path"].startswith("/__control") for r in cloud.requests()))

    status, _, _ = call(cloud, "PATCH", "/device/v3/state", report(ip_address="10.0.0.2", api_port=48484))
    status_bad, _, _ = call(cloud, "PATCH", "/device/v3/state", report(api_port="48484"))
    dev = cloud.device(DEV)
    reports = cloud.reports()
    check("an accepted report is applied and recorded; a rejected one is not",
          status == 200 and status_bad == 400 and dev["ip_address"] == "10.0.0.2" and dev["api_port"] == 48484
          and reports == [report(ip_address="10.0.0.2", api_port=48484)], (status, status_bad, reports))
    status, _, _ = call(cloud, "PATCH", "/device/v3/state", {DEV: {"apps": {FLEET: {
        "release_uuid": COMMIT, "releases": {COMMIT: {"update_status": "done", "services": {
            "web": {"image": "127.0.0.1:5000/web", "status": "Running"}}}}}}}})
    dev = cloud.device(DEV)
    check("a report with apps sets the running release and image installs",
          status == 200 and dev["is_running__release"] == 11 and dev["update_status"] == "done"
          and dev["image_installs"] == [{"id": 1, "status": "Running", "download_progress": None,
                                         "image": "127.0.0.1:5000/web", "release": COMMIT}], dev)

    cloud.add_releases({"beef" * 8: {"id": 12, "services": {}}})
    cloud.patch_device(DEV, pinned_release="beef" * 8, env={"B": "2"})
    state = cloud.target_state(DEV)["body"][DEV]
    check("a pinned release replaces the fleet's for that device",
          list(state["apps"][FLEET]["releases"]) == ["beef" * 8], state)
    cloud.patch_device(DEV, pinned_release=None)

    # The pine calls a device makes after provisioning (cloud-protocol.md §3).
    dev_id = cloud.device(DEV)["id"]
    q = "/v7/release?$filter=belongs_to__application%20eq%207%20and%20commit%20eq%20%27" + COMMIT + \
        "%27%20and%20status%20eq%20%27success%27&$select=id"
    answers = [call(cloud, "POST", "/v7/device_config_variable",
                    {"value": "false", "device": dev_id, "name": "RESIN_SUPERVISOR_LOCAL_MODE"}),
               call(cloud, "PATCH", "/v7/device(%d)" % dev_id, {"device_name": "renamed"}),
               call(cloud, "GET", q),
               call(cloud, "PATCH", "/v7/device(%d)" % dev_id, {"is_pinned_on__release": 11}),
               call(cloud, "GET", "/v7/device_tag?$select=id,tag_key,value&$filter=device%20eq%20" + str(dev_id)),
               call(cloud, "GET", "/v7/application(7)?$select=uuid")]
    state = cloud.target_state(DEV)["body"][DEV]
    check("the after-provisioning pine calls work with the device key",
          [a[0] for a in answers] == [201, 200, 200, 200, 200, 200]
          and json.loads(answers[2][2]) == {"d": [{"id": 11}]} and json.loads(answers[4][2]) == {"d": []}
          and json.loads(answers[5][2]) == {"d": [{"uuid": FLEET}]} and state["name"] == "renamed"
          and state["config"].get("RESIN_SUPERVISOR_LOCAL_MODE") == "false"
          and cloud.device(DEV)["is_pinned_on__release"] == 11, answers)
    cloud.patch_device(DEV, pinned_release=None)
    cloud.provisioning_key(PROV)
    status, _, _ = call(cloud, "GET", "/v7/device?$select=id&$filter=uuid%20eq%20%27" + DEV + "%27", key=PROV)
    status2, _, _ = call(cloud, "POST", "/v7/application_config_variable",
                         {"application": 7, "name": "X", "value": "1"})
    check("pine refuses a provisioning key, and fleet writes by a device", (status, status2) == (401, 401),
          (status, status2))

    cloud.device_names(["named-by-test"])
    reg = {"application": 7, "uuid": "eeee" * 8, "device_type": "generic-amd64", "api_key": "k-new"}
    status, _, body = call(cloud, "POST", "/device/register", reg, key=PROV)
    check("registration with a control-made provisioning key uses the queued name",
          status == 201 and cloud.device("eeee" * 8)["device_name"] == "named-by-test", (status, body))
    cloud.provisioning_key("provkey-old", expired=True)
    status, _, body = call(cloud, "POST", "/device/register", dict(reg, uuid="ffff" * 8), key="provkey-old")
    check("an expired provisioning key gets 401 API key required",
          status == 401 and json.loads(body) == {"error": "API key required"}, (status, body))

    cloud.patch_device(DEV, key_expired=True)
    status, _, _ = call(cloud, "GET", "/device/v3/%s/state" % DEV)
    cloud.patch_device(DEV, key_expired=False)
    status2, _, _ = call(cloud, "GET", "/device/v3/%s/state" % DEV)
    check("key_expired makes the device key fail with 401, and back", (status, status2) == (401, 200),
          (status, status2))
    cloud.delete_device("eeee" * 8)
    status, h, body = call(cloud, "GET", "/device/v3/%s/state" % ("eeee" * 8), key="k-new")
    check("a deleted device gets 304 without ETag", status == 304 and "etag" not in h and body == b"", h)


def test_request_log(cloud):
    body = json.dumps(report(status="Idle")).encode()
    sent = (b"PATCH /device/v3/state HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + KEY.encode() +
            b"\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
    sent2 = b"GET /ping HTTP/1.1\r\nHost: x\r\n\r\n"
    before = max([0] + [r["seq"] for r in cloud.requests()])
    with socket.create_connection(("127.0.0.1", cloud.port), timeout=10) as s:
        got = b""
        for req in (sent, sent2):       # two requests on one kept-alive connection
            s.sendall(req)
            while True:
                chunk = s.recv(65536)
                got += chunk
                if not chunk or got.endswith(b"0\r\n\r\n") or got.endswith(b"\r\n\r\nOK"):
                    break
    recs = cloud.requests(since=before)
    check("two requests on one connection are logged apart",
          [(r["method"], r["path"], r["status"]) for r in recs] == [("PATCH", "/device/v3/state", 200),
                                                                     ("GET", "/ping", 200)], recs)
    check("bytes_in is exactly what was sent, headers included",
          [r["bytes_in"] for r in recs] == [len(sent), len(sent2)], ([r["bytes_in"] for r in recs], len(sent)))
    check("bytes_out adds up to exactly what came back", sum(r["bytes_out"] for r in recs) == len(got),
          ([r["bytes_out"] for r in recs], len(got)))
    check("headers and decoded JSON body are recorded",
          recs[0]["headers"].get("Authorization") == "Bearer " + KEY and recs[0]["body"] == report(status="Idle"),
          recs[0])
    status, _, _ = call(cloud, "PATCH", "/device/v3/state", raw=gzip.compress(body),
                        headers={"Content-Type": "application/json", "Content-Encoding": "gzip"})
    rec = cloud.requests()[-1]
    check("a gzip request body is accepted and recorded decoded",
          status == 200 and rec["body"] == report(status="Idle"), (status, rec))

    status, h, body = call(cloud, "GET", "/v1/nothing")
    unexpected = cloud.unexpected_requests()
    check("an unimplemented call is a clear 404 and flagged in the log",
          status == 404 and b"not implemented: GET /v1/nothing" in body and h["content-type"].startswith("text/plain")
          and unexpected and unexpected[-1]["path"] == "/v1/nothing", (status, body, unexpected[-1:]))


def test_log_stream(cloud):
    conn = http.client.HTTPConnection("127.0.0.1", cloud.port, timeout=10)
    conn.putrequest("POST", "/device/v2/%s/log-stream" % DEV)
    for k, v in (("Authorization", "Bearer " + KEY), ("Content-Type", "application/x-ndjson"),
                 ("Content-Encoding", "gzip"), ("Transfer-Encoding", "chunked")):
        conn.putheader(k, v)
    conn.endheaders()
    z = zlib.compressobj(wbits=31)

    def send(lines, final=False):
        data = z.compress("".join(json.dumps(x) + "\n" for x in lines).encode())
        data += z.flush() if final else z.flush(zlib.Z_SYNC_FLUSH)
        conn.send(b"%x\r\n%s\r\n" % (len(data), data))

    before = len(cloud.logs())
    send([{"message": "first", "isSystem": True, "timestamp": 1}])
    deadline = time.time() + 5
    while len(cloud.logs()) == before and time.time() < deadline:
        time.sleep(0.02)
    got = cloud.logs()[before:]
    check("a streamed line is recorded as it arrives, before the stream ends",
          [x["line"]["message"] for x in got] == ["first"] and got[0]["via"] == "stream", got)
    send([{"message": "has uuid", "timestamp": 2, "uuid": DEV}, {"message": "last", "timestamp": 3}], final=True)
    conn.send(b"0\r\n\r\n")
    resp = conn.getresponse()
    resp.read()
    conn.close()
    got = cloud.logs()[before:]
    check("the stream ends with 201 and dropped lines are marked",
          resp.status == 201 and [x["stored"] is None for x in got] == [False, True, False], (resp.status, got))
    cloud.user_token(USER)
    cloud.wait_logs_stored()
    status, _, body = call(cloud, "GET", "/device/v2/%s/logs?count=2" % DEV, key=USER)
    check("after the flush delay the lines can be read back",
          status == 200 and [x["message"] for x in json.loads(body)] == ["first", "last"], body)


def open_log_stream(cloud):
    """A log-stream request with its headers sent; (connection, send(lines, final))."""
    conn = http.client.HTTPConnection("127.0.0.1", cloud.port, timeout=10)
    conn.putrequest("POST", "/device/v2/%s/log-stream" % DEV)
    for k, v in (("Authorization", "Bearer " + KEY), ("Content-Type", "application/x-ndjson"),
                 ("Content-Encoding", "gzip"), ("Transfer-Encoding", "chunked")):
        conn.putheader(k, v)
    conn.endheaders()
    z = zlib.compressobj(wbits=31)

    def send(lines, final=False):
        data = z.compress("".join(json.dumps(x, separators=(",", ":")) + "\n" for x in lines).encode())
        data += z.flush() if final else z.flush(zlib.Z_SYNC_FLUSH)
        conn.send(b"%x\r\n%s\r\n" % (len(data), data))
        if final:
            conn.send(b"0\r\n\r\n")
    return conn, send


def test_log_stream_faults(cloud):
    for kind, status in (("415", 415), ("503", 503), ("401", 401)):
        cloud.fault("/device/v2/%s/log-stream" % DEV, kind)
        conn, _ = open_log_stream(cloud)
        resp = conn.getresponse()      # before any body byte: the early refusal
        body = resp.read()
        conn.close()
        check("a %s fault refuses a log stream at once, before its body" % kind,
              resp.status == status and resp.getheader("Connection") == "close", (resp.status, body))

    cloud.fault("/device/v2/%s/log-stream" % DEV, "drop-mid-stream", lines=2)
    before = len(cloud.logs())
    conn, send = open_log_stream(cloud)
    try:
        send([{"message": "one", "isSystem": True, "timestamp": 1},
              {"message": "two", "isSystem": True, "timestamp": 2}])
        time.sleep(0.3)
        send([{"message": "three", "isSystem": True, "timestamp": 3}], final=True)
        conn.getresponse()
        dropped = False
    except (http.client.RemoteDisconnected, ConnectionError, OSError):
        dropped = True
    conn.close()
    got = [x["line"]["message"] for x in cloud.logs()[before:]]
    check("drop-mid-stream closes the stream without an answer after `lines` lines",
          dropped and got == ["one", "two"], (dropped, got))

    before = len(cloud.logs())
    conn, send = open_log_stream(cloud)
    send([{"message": "sys", "isSystem": True, "timestamp": 5},
          {"message": "warn", "timestamp": 6, "isSystem": True, "isStdErr": True},
          {"message": "svc", "isStdErr": False, "timestamp": 7, "serviceId": 3},
          {"message": "svc", "timestamp": 7, "serviceId": 3, "isStdErr": False},
          {"message": "old", "is_system": True, "timestamp": 8},
          {"message": "float", "isSystem": True, "timestamp": 8.5}], final=True)
    resp = conn.getresponse()
    resp.read()
    conn.close()
    problems = [x["problem"] for x in cloud.logs()[before:]]
    check("each line is checked against the device's forms (keys, order, types)",
          resp.status == 201 and problems[:3] == [None, None, None] and all(problems[3:]), problems)

    cloud.fault("/device/v2/%s/log-stream" % DEV, "slow-read", seconds=0.5)
    conn, send = open_log_stream(cloud)
    t0 = time.time()
    send([{"message": "slow", "isSystem": True, "timestamp": 9}], final=True)
    resp = conn.getresponse()
    resp.read()
    conn.close()
    check("slow-read waits before each chunk it reads", resp.status == 201 and time.time() - t0 >= 0.5,
          time.time() - t0)


def test_faults(cloud):
    cloud.fault("/device/v3/", "500", count=2, method="GET")
    path = "/device/v3/%s/state" % DEV
    status, h, body = call(cloud, "PATCH", "/device/v3/state", report())   # same prefix, other method
    codes = [call(cloud, "GET", path)[0] for _ in range(3)]
    status_other, _, _ = call(cloud, "GET", "/ping")
    check("500 hits the next N matching requests only (method and path)",
          status == 200 and codes == [500, 500, 200] and status_other == 200, (status, codes))
    check("the fault is recorded on the request", [r["fault"] for r in cloud.requests()[-5:]] ==
          [None, "500", "500", None, None], cloud.requests()[-5:])

    cloud.fault("/device/v3/state", "401")
    n_reports = len(cloud.reports())
    status, h, body = call(cloud, "PATCH", "/device/v3/state", report(status="faulted"))
    check("401 answers empty and the handler does not run",
          status == 401 and body == b"" and len(cloud.reports()) == n_reports, (status, body))

    cloud.fault(path, "drop")
    try:
        call(cloud, "GET", path)
        dropped = False
    except (http.client.RemoteDisconnected, ConnectionError):
        dropped = True
    check("drop closes the connection without an answer", dropped)

    cloud.fault(path, "hang", seconds=1)
    t0 = time.time()
    try:
        call(cloud, "GET", path)
        hung = False
    except (http.client.RemoteDisconnected, ConnectionError):
        hung = True
    check("hang holds the connection for `seconds`, then drops it", hung and time.time() - t0 >= 0.9,
          time.time() - t0)

    cloud.fault(path, "not-json")
    status, h, body = call(cloud, "GET", path)
    try:
        json.loads(body)
        parsed = True
    except ValueError:
        parsed = False
    check("not-json answers 200 application/json that does not parse",
          status == 200 and h["content-type"].startswith("application/json") and not parsed, (status, body))

    cloud.fault("/device/v3/state", "drop-mid-body")
    n_reports = len(cloud.reports())
    try:
        call(cloud, "PATCH", "/device/v3/state", report(status="half"))
        cut = False
    except (http.client.IncompleteRead, http.client.RemoteDisconnected, ConnectionError):
        cut = True
    check("drop-mid-body handles the call, then cuts the answer", cut and len(cloud.reports()) == n_reports + 1)
    cloud.fault(path, "drop-mid-body")
    try:
        call(cloud, "GET", path)
        cut = False
    except http.client.IncompleteRead as e:
        cut = len(e.partial) > 0 and (e.expected or 0) > 0     # some bytes came, some never did
    check("drop-mid-body sends part of a body, less than its Content-Length", cut)

    cloud.fault("/ping", "500", count=5)
    pending = cloud.control("GET", "fault")
    cloud.clear_faults()
    status, _, _ = call(cloud, "GET", "/ping")
    check("DELETE /__control/fault clears pending faults",
          len(pending) == 1 and pending[0]["count"] == 5 and status == 200, (pending, status))
    try:
        cloud.fault("/x", "explode")
        err = ""
    except FakeCloudError as e:
        err = str(e)
    check("an unknown fault kind is a 400 listing the kinds", "400" in err and "drop-mid-body" in err, err)


def test_tls():
    if shutil.which("openssl") is None:
        print("skip serves HTTPS: no openssl to make a self-signed certificate")
        return
    tmp = tempfile.mkdtemp(prefix="fake-cloud-tls-")
    try:
        cert, key = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
        p = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                            "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key,
                            "-out", cert], capture_output=True, text=True)
        if p.returncode != 0:
            check("a self-signed certificate for the TLS check (openssl)", False, p.stderr)
            return
        with FakeCloud(tls_cert=cert, tls_key=key) as cloud:
            ctx = ssl.create_default_context(cafile=cert)
            conn = http.client.HTTPSConnection("127.0.0.1", cloud.port, context=ctx, timeout=10)
            conn.request("GET", "/ping")
            resp = conn.getresponse()
            body = resp.read()
            conn.close()
            check("serves HTTPS with the given certificate", cloud.url.startswith("https://")
                  and resp.status == 200 and body == b"OK" and cloud.control("GET", "health") == {"ok": True},
                  (resp.status, body))
    finally:
        shutil.rmtree(tmp)


def guarded(test, *args):
    """Runs one group; an exception fails it without hiding the others."""
    try:
        test(*args)
    except Exception as e:
        check("%s ran to the end" % test.__name__, False, "%s: %s" % (type(e).__name__, e))


def main():
    guarded(test_lifecycle)
    with FakeCloud(args=["--log-flush-ms", "200"]) as cloud:
        for test in (test_control, test_request_log, test_log_stream, test_log_stream_faults, test_faults):
            guarded(test, cloud)
    guarded(test_tls)
    passed = sum(results)
    print("%d passed, %d failed" % (passed, len(results) - passed))
    return 0 if passed == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Replays every real open-balena-api exchange in reference/cloud-captures
against a fresh fake cloud, in the README's order of calls, and checks each
answer: status, Content-Type and the other headers the client sees (ETag
form and value, Cache-Control, Vary, Content-Encoding, Location, framing),
and the body, exactly, except for the values listed in SERVER_STAMPED.

usage: test_captures.py [CAPTURES_DIR]
  default: $RECONCILE_SHARED_DIR/reference/cloud-captures, else
  ../shared/reference/cloud-captures relative to the repo root.
Prints one line per capture and a closing 'N passed, N failed' line.
"""
import glob
import gzip
import hashlib
import http.client
import json
import os
import re
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from harness import FakeCloud  # noqa: E402
from wire import js_json  # noqa: E402

# Values the server makes from its clock: the fake stamps its own, so they
# are checked for form only (same length, so byte counts and the length part
# of the ETag still must match).
SERVER_STAMPED = {
    "created_at": "time the API created a variable (10, 38-41)",
    "modified_at": "time the API created a variable (10, 38-41)",
    "install_date": "time the API created an image install (17, 30)",
    "last_connectivity_event": "time the API saw the device come online (16)",
    "createdAt": "time the API stored a log line, in ms (37, 78, 79)",
}
ISO_MS = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")

# Fixed identities (captures README) and what the fleet held before 01: env
# var FLEET_VAR on the fleet, PORT and the label on service frontend.
FLEET_UUID = "5ec89b5d09ed4bc5a9913915d93d9834"
R1, R2 = "8eb1e41d97874f659c6e11ac9c4caa71", "4f188fdbd9594f7e8e82417664af47eb"
DIGEST = "sha256:1df407291eef767fbe42ec43cb653f193e95af7e7e30098489dbd88fb5345388"
SUPERVISOR_API = {"io.balena.features.supervisor-api": "1"}
RELEASE_1 = {"id": 1, "services": {
    "frontend": {"id": 1, "image_id": 1, "image": "127.0.0.1:5000/some/image@" + DIGEST,
                 "environment": {"PORT": "80"}, "labels": SUPERVISOR_API,
                 "composition": {"image": "127.0.0.1:5000/some/image", "ports": ["80:80"], "restart": "always"}},
    "backend": {"id": 2, "image_id": 2, "image": "127.0.0.1:5000/some/backend", "environment": {}, "labels": {},
                "composition": {"image": "127.0.0.1:5000/some/backend", "restart": "always",
                                "volumes": ["app-data:/data"], "privileged": True}}},
    "volumes": {"app-data": {}}}
RELEASE_2 = {"id": 2, "services": {
    "frontend": {"id": 1, "image_id": 3, "image": "127.0.0.1:5000/some/image:v2", "environment": {"PORT": "80"},
                 "labels": SUPERVISOR_API, "composition": {"image": "127.0.0.1:5000/some/image:v2"}}}}
# The API named the devices at random when they registered (01, 61, 66).
DEVICE_NAMES = ["evil-castle", "small-mine", "lazy-firefly"]
DEVICE_B = "95a17f85cd94af4ca2d3472d33d5c349"

# Waits the captures took in real time, shortened for the fake.
DELETED_LOG_DELAY = 2.0     # 72 came after 55 s; 55 must come well before this
# The API stores streamed lines 500 ms after they arrive, so 36's batch,
# sent within that time, was stored before 31's stream (37 shows it). 31-36
# must fit in this window: wide, so a loaded machine cannot reorder them.
LOG_FLUSH_MS = 3000


def before(cloud, name):
    """What happened between the captured calls that the fake must be told."""
    if name == "37":    # streamed lines are stored after the flush delay; 37 read them 2 s later
        cloud.wait_logs_stored()
    if name == "63":    # the capture waited until device B's key passed its expiry date
        cloud.patch_device(DEVICE_B, key_expired=True)


# Secret placeholders of the captures: <userToken>, <deviceApiKeyB> ...
PLACEHOLDER = r"<(\w+(?:Key|Token)[A-Z]?)>"


def secret(name):
    """A placeholder's value: 32 hex chars, the length of the real keys (the
    captured Content-Lengths say so), the same for every use."""
    return hashlib.md5(name.encode()).hexdigest()


def subst(text):
    return re.sub(PLACEHOLDER, lambda m: secret(m.group(1)), text)


def subst_json(value):
    return json.loads(subst(json.dumps(value)))


def capture_order(directory):
    """The README's 'Order of the calls' -> capture ids, e.g. 07b-07d."""
    readme = open(os.path.join(directory, "README.md"), encoding="utf-8").read()
    section = readme.split("## Order of the calls", 1)[1].split("\n\n", 2)[1]
    section = section.split("(", 1)[0]
    ids = {os.path.basename(f).split("-", 1)[0]: f for f in glob.glob(os.path.join(directory, "*.json"))}
    order = []
    split = lambda i: (int(re.match(r"\d+", i).group()), i.lstrip("0123456789"))
    for item in re.findall(r"\d+[a-z]?(?:\s*[–-]\s*\d+[a-z]?)?", section):
        ends = re.split(r"\s*[–-]\s*", item)
        (ln, ll), (hn, hl) = split(ends[0]), split(ends[-1])
        for cid in sorted(ids, key=split):
            n, letter = split(cid)
            # Plain ranges hold plain numbers; lettered ones (07b-07d) letters of one number.
            if (ll == "" and letter == "" and ln <= n <= hn) or (ll and n == ln and ll <= letter <= hl):
                order.append(cid)
    return order, ids


def send(port, cap):
    """Sends the captured request as it was on the wire (header order, gzip,
    chunked). Returns (response, raw body, seconds, problems)."""
    req, problems = cap["request"], []
    body = req["body"]
    data = None if body is None else subst(body if isinstance(body, str) else js_json(body)).encode()
    if data is not None and req.get("bodyEncoding"):
        data = gzip.compress(data)
    chunked = bool(req.get("bodyTransfer"))
    # An error answer to a log stream comes before the body ends (55, 72):
    # send everything but the last chunk and wait for it.
    early = chunked and cap["response"]["status"] != 201
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
    conn.putrequest(req["method"], subst(req["path"]), skip_host=True, skip_accept_encoding=True)
    for name, value in req["headers"].items():
        if name == "Host":
            value = "127.0.0.1:%d" % port
        elif name == "Content-Length":
            if int(value) != len(data):
                problems.append("request Content-Length %s but %d bytes after substitution" % (value, len(data)))
            value = str(len(data))
        conn.putheader(name, subst(value))
    conn.endheaders()
    if data and chunked:
        for piece in (data[:len(data) // 2], data[len(data) // 2:]):
            if piece:
                conn.send(b"%x\r\n%s\r\n" % (len(piece), piece))
    elif data:
        conn.send(data)
    if chunked and not early:
        conn.send(b"0\r\n\r\n")
    t0 = time.time()
    resp = conn.getresponse()
    raw = resp.read()
    elapsed = time.time() - t0
    conn.close()
    return resp, raw, elapsed, problems


def masked(value, found):
    """`value` with SERVER_STAMPED fields replaced by a marker; the names met
    go into `found`, a bad form into found as a problem."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if k in SERVER_STAMPED:
                ok = bool(ISO_MS.match(v)) if isinstance(v, str) else (isinstance(v, int) and len(str(v)) == 13)
                found.add(k if ok else "%s has a bad form: %r" % (k, v))
                out[k] = "<server-stamped>"
            else:
                out[k] = masked(v, found)
        return out
    if isinstance(value, list):
        return [masked(v, found) for v in value]
    return value


def check(cap, resp, raw, elapsed):
    exp, problems = cap["response"], []
    got = {k.lower(): v for k, v in resp.getheaders()}
    want = {k.lower(): subst(v) for k, v in exp["headers"].items()}
    if resp.status != exp["status"]:
        problems.append("status %d, captured %d" % (resp.status, exp["status"]))
    for name in ("content-type", "cache-control", "vary", "content-encoding", "location", "transfer-encoding"):
        if got.get(name) != want.get(name):
            problems.append("%s %r, captured %r" % (name, got.get(name), want.get(name)))
    if ("content-length" in got) != ("content-length" in want):
        problems.append("content-length %r, captured %r" % (got.get("content-length"), want.get("content-length")))

    text = (gzip.decompress(raw) if got.get("content-encoding") == "gzip" else raw).decode("utf-8")
    stamped = set()
    if "bodyText" in exp:                       # a bare JSON string: compare the wire text
        expected_text = subst(exp["bodyText"])
        if text != expected_text:
            problems.append("body %r, captured %r" % (text[:200], expected_text[:200]))
    elif isinstance(exp["body"], (dict, list)):
        try:
            ours = json.loads(text)
        except ValueError:
            ours = None
            problems.append("body is not JSON: %r" % text[:200])
        if ours is not None:
            theirs = masked(subst_json(exp["body"]), set())
            ours_m = masked(ours, stamped)
            if js_json(ours_m) != js_json(theirs):  # order-sensitive: the ETag depends on it
                problems.append("body differs:\n       got      %s\n       captured %s"
                                % (js_json(ours_m)[:1500], js_json(theirs)[:1500]))
            if js_json(ours) != text:
                problems.append("body is not compact JSON as Express writes it")
    elif text != (exp["body"] or ""):
        problems.append("body %r, captured %r" % (text[:200], (exp["body"] or "")[:200]))
    problems += sorted(s for s in stamped if " " in s)

    if ("etag" in got) != ("etag" in want):
        problems.append("etag %r, captured %r" % (got.get("etag"), want.get("etag")))
    elif "etag" in want:
        form = r'W/"([0-9a-f]+)-[A-Za-z0-9+/]{27}"$'
        m_got, m_want = re.match(form, got["etag"]), re.match(form, want["etag"])
        body_len = len(text.encode()) if resp.status != 304 else None
        if not m_got:
            problems.append("etag %r is not a weak Express ETag" % got["etag"])
        elif m_got.group(1) != m_want.group(1):
            problems.append("etag length part %s, captured %s" % (m_got.group(1), m_want.group(1)))
        elif body_len is not None and int(m_got.group(1), 16) != body_len:
            problems.append("etag says %s bytes, body has %d" % (m_got.group(1), body_len))
        # Exact when the body is: no secrets in it, nothing server-stamped.
        reproducible = not stamped and not re.search(PLACEHOLDER, json.dumps(exp["body"]))
        if m_got and reproducible and got["etag"] != want["etag"]:
            problems.append("etag %s, captured %s" % (got["etag"], want["etag"]))
    return problems, stamped


def main():
    default = os.path.join(os.environ.get("RECONCILE_SHARED_DIR") or os.path.join(HERE, "..", "..", "..", "shared"),
                           "reference", "cloud-captures")
    directory = sys.argv[1] if len(sys.argv) > 1 else default
    if not os.path.isfile(os.path.join(directory, "README.md")):
        print("no captures at %s (give the directory as the first argument)" % directory)
        print("0 passed, 1 failed")
        return 1
    order, files = capture_order(directory)
    passed = failed = 0
    for cid in sorted(set(files) - set(order)):
        print("FAIL %s: not in the README's order of calls; replayed last" % os.path.basename(files[cid]))
        failed += 1
        order.append(cid)
    for cid in sorted(set(order)):
        if order.count(cid) > 1:
            print("FAIL %s: listed %d times in the README's order" % (cid, order.count(cid)))
            failed += 1

    args = ["--deleted-log-delay", str(DELETED_LOG_DELAY), "--log-flush-ms", str(LOG_FLUSH_MS)]
    with FakeCloud(args=args) as cloud:
        cloud.user_token(secret("userToken"))
        cloud.provisioning_key(secret("provisioningKey"))
        cloud.device_names(DEVICE_NAMES)
        cloud.set_target(apps={FLEET_UUID: {"id": 1, "name": "testfleet", "is_host": False, "class": "fleet",
                                            "releases": {R1: RELEASE_1}}},
                         config={}, env={"FLEET_VAR": "fleet"})
        cloud.add_releases({R2: RELEASE_2})
        cloud.control("POST", "device-types", {"types": ["generic-amd64"]})

        seen = 0
        for cid in order:
            name = os.path.basename(files[cid])[:-5]
            cap = json.load(open(files[cid], encoding="utf-8"))
            try:
                before(cloud, cid)
                resp, raw, elapsed, problems = send(cloud.port, cap)
                more, stamped = check(cap, resp, raw, elapsed)
                problems += more
            except Exception as e:  # a hung or dropped answer is a failure of this capture only
                problems, stamped, elapsed = ["%s: %s" % (type(e).__name__, e)], set(), 0
            if cid == "72" and not problems and elapsed < DELETED_LOG_DELAY * 0.8:
                problems.append("answered after %.2fs: a deleted device's stream waits (%.1fs here, 55 s "
                                "captured)" % (elapsed, DELETED_LOG_DELAY))
            if cid == "55" and not problems and elapsed > DELETED_LOG_DELAY * 0.8:
                problems.append("answered after %.2fs: a bad key is refused at once" % elapsed)
            recorded = cloud.requests(since=seen)
            seen = max([seen] + [r["seq"] for r in recorded])
            problems += ["the fake did not implement: %s" % r["unhandled"] for r in recorded if r["unhandled"]]
            if problems:
                failed += 1
                print("FAIL %s: %s" % (name, "; ".join(problems)))
            else:
                passed += 1
                note = "  [server-stamped: %s]" % ", ".join(sorted(stamped)) if stamped else ""
                print("ok   %s%s" % (name, note))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

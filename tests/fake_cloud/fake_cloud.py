#!/usr/bin/env python3
"""A strict fake of the balena cloud API (open-balena-api v49) for tests.

    python3 tests/fake_cloud/fake_cloud.py --port 0 [--host 127.0.0.1]
        [--tls-cert CERT.pem --tls-key KEY.pem] [--deleted-log-delay S]
        [--log-flush-ms MS] [--verbose]

Prints one line `listening <port>` (flushed) and serves until SIGTERM/SIGINT.
Loopback addresses only. Answers the device calls exactly as the captures in
reference/cloud-captures show them (status, body, Content-Type, weak ETag,
chunked empty bodies, gzip over 1 KiB); every call it does not implement
gets a 404 `fake-cloud: not implemented: ...` (text/plain) and is flagged
`unhandled` in the request log, so a test can see unexpected calls.

Device side: POST /device/register; GET /v7/device?$filter=uuid eq '..' and
POST /api-key/device/<id>/device-key (key exchange); GET
/device/v3/<uuid>/state (ETag / If-None-Match); PATCH /device/v3/state;
PATCH /device/v3/tags; POST /device/v2/<uuid>/log-stream (NDJSON, gzip or
plain, chunked); POST and GET /device/v2/<uuid>/logs; /v7 pine reads and the
few writes in pine.py; GET /ping.

Control API (JSON in and out; never used by a device; not in the request log):
  GET    /__control/health               {"ok": true}
  POST   /__control/target               {"apps": {<uuid>: v3 app}, "config": {..}, "env": {..}}
         Sets what every device of the fleet is sent. `apps` in v3 form; the
         app of class "fleet" (not is_host) is the devices' fleet, its
         service `environment` is the service-level env; `config` = fleet
         config vars, `env` = fleet env vars (each optional, replaced whole).
         The ETag changes whenever a device's body does.
  POST   /__control/releases             {"app": <uuid, default the fleet>, "releases": {<commit>: v3 release}}
         Releases the API knows without targeting them (for reports and
         PATCH /v7/application(<id>) should_be_running__release).
  GET    /__control/state/<uuid>         {"body": <target state>, "etag": ".."} (no heartbeat, no auth)
  POST   /__control/provisioning-key     {"key": "..", "expired": false}
  POST   /__control/user-token           {"token": ".."}  (a user's full-access key)
  POST   /__control/device-names         {"names": [..]}  names of the next registered devices
  POST   /__control/device-types         {"types": [..]}  replaces the known device type slugs
  POST   /__control/device               {"uuid", "api_key", "id"?, "name"?, "fields"?: {..}}
  GET    /__control/devices              [device view, ...]
  GET    /__control/device/<uuid>        device view: stored fields, "deleted", keys, tags,
                                         env, config, image_installs, overall_status
  PATCH  /__control/device/<uuid>        {"name", "key_expired", "fields", "env", "config",
                                          "pinned_release": <commit>|null}
  DELETE /__control/device/<uuid>        deletes it (as the dashboard would)
  GET    /__control/requests[?since=N]   every request: seq, time, method, path, headers, body
                                         (decoded), status, fault, unhandled, done,
                                         bytes_in / bytes_out (HTTP bytes incl. headers
                                         and chunk framing, before TLS)
  GET    /__control/reports[?since=N]    accepted state PATCHes: [{"seq", "time", "body"}]
  GET    /__control/logs[?since=N]       {"lines": [{"seq", "uuid", "via", "line", "stored"}],
                                          "pending": <streamed lines not stored yet>}
  DELETE /__control/requests | reports | logs   forget them
  POST   /__control/fault                {"path": "/device/v3/", "fault": F, "count": N,
                                          "seconds": S, "method": M?}
         The next N requests whose path (with query) starts with `path` get
         F: "500" (text/plain Internal Server Error), "401" (empty),
         "drop" (connection closed, no answer), "hang" (held `seconds`,
         default 30, then closed), "not-json" (200 application/json with a
         body that is not JSON), "drop-mid-body" (the real answer is
         handled, half its body sent, then the connection closed).
         500/401/drop/hang/not-json skip the handler: no side effects.
         "415", "503": that status at once (as the API refuses a log stream:
         415 JSON string, 503 text), before the body is read.
         Log streams only: "drop-mid-stream" closes the connection without
         an answer after `lines` (1) lines were received; "slow-read" sleeps
         `seconds` before each chunk it reads (TCP backpressure).
  GET    /__control/fault                pending faults
  DELETE /__control/fault                clears them
  GET    /__control/settings, POST /__control/settings {"deleted_log_delay_s", "log_flush_ms",
         "metrics_interval_s", "download_progress_interval_s", "keepalive_timeout_s"}
Bad control input answers 400 {"error": ".."}.
"""
import argparse
import email.utils
import ipaddress
import json
import os
import re
import secrets
import signal
import socket
import ssl
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import report  # noqa: E402
from pine import NotImplementedQuery, Pine  # noqa: E402
from store import (LOG_RETENTION, ControlError, Ref, Settings, Store, convert_log,  # noqa: E402
                   ref_id)
from wire import (COMPRESS_THRESHOLD, BodyError, CountingReader, CountingWriter, Decoder,  # noqa: E402
                  Reply, api_key_required, compress, empty, etag_matches, iter_body, js_json,
                  json_reply, pick_encoding, weak_etag)

FAULTS = ("500", "401", "drop", "hang", "not-json", "drop-mid-body", "415", "503", "drop-mid-stream",
          "slow-read")
LOG_STREAM_FAULTS = ("drop-mid-stream", "slow-read")    # act inside the log stream handler
NDJSON = "application/x-ndjson"
MAX_RECORDED_BODY = 1 << 20     # a long log stream is recorded up to 1 MiB of text
ETAGGED = ("json", "text", "badjson")   # bodies Express sends with an ETag (and may compress)


class Faults:
    def __init__(self):
        self.items = []

    def add(self, spec):
        if not isinstance(spec, dict) or not isinstance(spec.get("path"), str) or spec.get("fault") not in FAULTS:
            raise ControlError('a fault needs "path" (prefix) and "fault" one of %s' % ", ".join(FAULTS))
        count, seconds = spec.get("count", 1), spec.get("seconds", 30)
        lines = spec.get("lines", 1)
        if not isinstance(count, int) or count < 1 or not isinstance(seconds, (int, float)) or seconds < 0:
            raise ControlError('"count" must be an integer >= 1 and "seconds" a number >= 0')
        if not isinstance(lines, int) or lines < 0:
            raise ControlError('"lines" must be an integer >= 0')
        self.items.append({"path": spec["path"], "fault": spec["fault"], "count": count,
                           "seconds": seconds, "lines": lines, "method": spec.get("method")})

    def take(self, method, path):
        for f in self.items:
            if path.startswith(f["path"]) and f["method"] in (None, method):
                f["count"] -= 1
                if f["count"] == 0:
                    self.items.remove(f)
                return dict(f)
        return None


class App:
    """State shared by all connections."""

    def __init__(self, settings, verbose):
        self.settings, self.verbose = settings, verbose
        self.store = Store(settings)
        self.pine = Pine(self.store)
        self.faults = Faults()
        self.requests = []
        self.seq = 0
        self.stopping = threading.Event()

    def record(self, handler):
        with self.store.lock:
            self.seq += 1
            rec = {"seq": self.seq, "time": time.time(), "method": handler.command, "path": handler.path,
                   "headers": dict(handler.headers.items()), "body": None, "status": None, "fault": None,
                   "unhandled": None, "done": False, "bytes_in": 0, "bytes_out": 0}
            self.requests.append(rec)
            return rec


def plain(status, text):
    return Reply(status, "plain", text)


def not_implemented(rec, method, path, detail=""):
    rec["unhandled"] = detail or "no such endpoint"
    return plain(404, "fake-cloud: not implemented: %s %s%s" % (method, path, " (%s)" % detail if detail else ""))


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    app = None      # set by main()

    # ---- connection plumbing --------------------------------------------------

    def setup(self):
        if isinstance(self.request, ssl.SSLSocket):
            self.request.settimeout(10)
            self.request.do_handshake()
        super().setup()
        self.rfile, self.wfile = CountingReader(self.rfile), CountingWriter(self.wfile)
        self.in_mark = self.out_mark = 0

    def finish(self):
        super().finish()
        if getattr(self, "linger", False):
            # We answered before reading the whole body (a refused log
            # stream). Closing with unread input would reset the connection
            # and could destroy the answer in flight, so let the client
            # finish or give up first.
            try:
                self.connection.shutdown(socket.SHUT_WR)
                self.connection.settimeout(2)
                while self.connection.recv(65536):
                    pass
            except OSError:
                pass

    def handle_one_request(self):
        # Idle keep-alive connections close after the server's timeout; a
        # request in progress (a log stream) may be quiet much longer.
        self.connection.settimeout(self.app.settings.keepalive_timeout_s)
        super().handle_one_request()

    def log_message(self, fmt, *args):
        if self.app.verbose:
            sys.stderr.write("fake-cloud: %s\n" % (fmt % args))

    def do_GET(self):
        self.dispatch()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_GET

    def account(self, rec):
        """Charges the bytes moved since the previous request to `rec`."""
        if rec is not None:
            rec["bytes_in"] = self.rfile.count - self.in_mark
            rec["bytes_out"] = self.wfile.count - self.out_mark
        self.in_mark, self.out_mark = self.rfile.count, self.wfile.count

    # ---- request bodies -----------------------------------------------------------

    def read_body(self, rec):
        """The whole body, transfer- and content-decoded; recorded on `rec`."""
        self.body_read = True
        dec = Decoder(self.headers.get("Content-Encoding"))
        data = b"".join(dec.feed(c) for c in iter_body(self.rfile, self.headers)) + dec.finish()
        if rec is not None and data:
            text = data.decode("utf-8", "replace")
            try:
                rec["body"] = json.loads(text) if "json" in self.headers.get("Content-Type", "") else text
            except ValueError:
                rec["body"] = text
        return data

    def json_body(self, rec):
        """(value, None) or (None, error reply). Like Express' json parser, a
        body without a JSON Content-Type is read as {}."""
        data = self.read_body(rec)
        if "application/json" not in self.headers.get("Content-Type", ""):
            return {}, None
        if not data:
            return {}, None
        try:
            value = json.loads(data)
        except ValueError as e:
            return None, plain(400, "fake-cloud: request body is not valid JSON: %s" % e)
        if not isinstance(value, (dict, list)):
            return None, plain(400, "fake-cloud: request body must be a JSON object or array")
        return value, None

    # ---- answers ------------------------------------------------------------------

    def send_reply(self, reply, truncate=False):
        if reply.delay:
            self.app.stopping.wait(reply.delay)
        status, body, ctype, chunked = reply.status, reply.body(), reply.content_type(), False
        headers = [("Cache-Control", "no-cache")] if reply.pine else []
        if reply.kind == "304":
            headers += [("ETag", reply.etag)] if reply.etag else []
            body = b""
        elif ctype:
            etag = weak_etag(body) if reply.kind in ETAGGED else None
            inm = self.headers.get("If-None-Match")
            if etag and inm and self.command in ("GET", "HEAD") and 200 <= status < 300 and etag_matches(inm, etag):
                status, body = 304, b""
                headers.append(("ETag", etag))
            else:
                headers.append(("Content-Type", ctype))
                headers += reply.headers
                encoding = pick_encoding(self.headers.get("Accept-Encoding")) if len(body) >= COMPRESS_THRESHOLD \
                    and reply.kind in ETAGGED else None
                if encoding:
                    body, chunked = compress(body, encoding), True
                else:
                    headers.append(("Content-Length", str(len(body))))
                if etag:
                    headers.append(("ETag", etag))
                if reply.kind in ETAGGED:
                    headers.append(("Vary", "Accept-Encoding"))
                if encoding:
                    headers.append(("Content-Encoding", encoding))
        else:
            headers += reply.headers
            chunked = True      # Express' res.end() without a body (captures 06, 13, ...)
        if reply.close or truncate:
            self.close_connection = True
        headers.append(("Date", email.utils.formatdate(usegmt=True)))
        if self.close_connection:
            headers.append(("Connection", "close"))
        else:
            headers += [("Connection", "keep-alive"),
                        ("Keep-Alive", "timeout=%d" % self.app.settings.keepalive_timeout_s)]
        if chunked:
            headers.append(("Transfer-Encoding", "chunked"))
        self.send_response_only(status)
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        if self.command == "HEAD":
            return status
        if chunked:
            framed = (b"%x\r\n%s\r\n" % (len(body), body) if body else b"") + b"0\r\n\r\n"
        else:
            framed = body
        if truncate:    # the "drop-mid-body" fault: half the bytes, then close
            framed = framed[:len(framed) // 2] if body else framed[:0]
        self.wfile.write(framed)
        return status

    # ---- dispatch -------------------------------------------------------------------

    ROUTES = (
        ("POST", r"/device/register", "register"),
        ("GET", r"/device/v3/([^/]+)/state", "state_get"),
        ("PATCH", r"/device/v3/state", "state_patch"),
        ("PATCH", r"/device/v3/tags", "tags_patch"),
        ("POST", r"/device/v2/([^/]+)/log-stream", "log_stream"),
        ("POST", r"/device/v2/([^/]+)/logs", "logs_batch"),
        ("GET", r"/device/v2/([^/]+)/logs", "logs_read"),
        ("POST", r"/api-key/device/(\d+)/device-key", "device_key"),
        (None, r"/v7/(\w+)(?:\((\d+)\))?", "pine"),
        ("GET", r"/ping", "ping"),
    )

    def dispatch(self):
        self.connection.settimeout(3600)
        self.body_read = False
        path, _, self.query = self.path.partition("?")
        if path.startswith("/__control/") or path == "/__control":
            return self.control(path)
        rec = self.app.record(self)
        try:
            reply, truncate = self.handle_device_call(rec, path)
            if reply is None and not self.close_connection:
                self.close_connection = True
            if reply is not None:
                if not self.body_read:
                    if reply.close:
                        self.linger = True
                    else:
                        self.read_body(rec)     # keep the connection's framing
                rec["status"] = self.send_reply(reply, truncate)
        except BodyError as e:
            rec["status"] = self.send_reply(self.closing(plain(400, "fake-cloud: bad request body: %s" % e)))
        except OSError:
            self.close_connection = True        # the client went away
        except Exception as e:                  # a bug in the fake: say so loudly
            import traceback
            traceback.print_exc()
            rec["unhandled"] = "internal error: %r" % e
            rec["status"] = self.send_reply(self.closing(plain(500, "fake-cloud: internal error: %r" % e)))
        finally:
            rec["done"] = True
            self.account(rec)

    def handle_device_call(self, rec, path):
        """(reply, truncate) or (None, _) when the connection was dropped."""
        self.fault = None
        fault = self.app.faults.take(self.command, self.path)
        kind = fault["fault"] if fault else None
        rec["fault"] = kind
        if kind in ("drop", "hang"):
            if kind == "hang":
                self.app.stopping.wait(fault["seconds"])
            self.close_connection = True
            return None, False
        streaming_request = "chunked" in self.headers.get("Transfer-Encoding", "")
        if kind == "500":
            reply = plain(500, "Internal Server Error")
            return (self.closing(reply) if streaming_request else reply), False
        if kind == "401":
            return (self.closing(empty(401)) if streaming_request else empty(401)), False
        if kind == "not-json":
            return Reply(200, "badjson", '{"fake-cloud": "this body is not JSON'), False
        # A refused streaming request is answered before its body ends and the
        # connection closed (the body may never end).
        streaming = "chunked" in self.headers.get("Transfer-Encoding", "")
        refusal = None
        if kind == "415":
            refusal = json_reply(415, "Streaming requests require Content-Type %s" % NDJSON)
        elif kind == "503":
            refusal = plain(503, "Service Unavailable")
        if refusal is not None:
            return (self.closing(refusal) if streaming else refusal), False
        self.fault = fault if kind in LOG_STREAM_FAULTS else None
        for method, pattern, name in self.ROUTES:
            m = re.fullmatch(pattern, path)
            if m and method in (None, self.command):
                return getattr(self, "route_" + name)(rec, *m.groups()), kind == "drop-mid-body"
        return not_implemented(rec, self.command, path), kind == "drop-mid-body"

    def closing(self, reply):
        reply.close = True
        return reply

    def actor(self):
        return self.app.store.actor(self.headers.get("Authorization"))

    # ---- device routes -------------------------------------------------------------

    def route_ping(self, rec):
        return Reply(200, "text", "OK")     # not captured: Express' res.send('OK')

    def route_register(self, rec):
        body, err = self.json_body(rec)
        if err:
            return err
        store = self.app.store
        with store.lock:
            actor = self.actor()
            if actor is None or actor.kind == "device":
                return api_key_required()                               # 58
            if not isinstance(body, dict):
                return json_reply(400, "fake-cloud: the body must be a JSON object")
            if body.get("user") is not None and _check_int(body["user"]) is None:
                return json_reply(400, "User ID must be a valid integer")
            app_id = _check_int(body.get("application"))
            if app_id is None:
                return json_reply(400, "Application ID must be a valid integer")
            slug, uuid, key = body.get("device_type"), body.get("uuid"), body.get("api_key")
            if slug is None:
                return json_reply(400, "Device type must be specified")
            if uuid is None:
                return json_reply(400, "UUID must be specified")        # 60
            if store.device_by_uuid(uuid) is not None:
                return Reply(409, "text", '"uuid" must be unique.')     # 02, 03: before the key
            if key is not None and key in store.keys:
                return json_reply(409, '"key" must be unique.')         # 04
            if slug not in store.device_types:
                return json_reply(404, "Unknown device type %s" % slug)  # 59
            app = store.get("application", app_id)
            if app is None or app_id != store.fleet_id or (actor.kind == "provisioning" and actor.app_id != app_id):
                # Not captured: the API's generic failure is a 403 with the error text.
                return Reply(403, "text", "fake-cloud: this key cannot create devices in application %s" % app_id)
            if not isinstance(uuid, str) or not (key is None or isinstance(key, str)):
                return json_reply(400, "fake-cloud: uuid and api_key must be strings")
            fields = {k: body[k] for k in ("supervisor_version", "os_version", "mac_address") if k in body}
            if body.get("os_variant") in ("prod", "dev"):   # other values are discarded
                fields["os_variant"] = body["os_variant"]
            key = key or secrets.token_hex(16)
            dev = store.create_device(uuid, key, fields=fields)
            return json_reply(201, {"id": dev["id"], "uuid": dev["uuid"], "api_key": key})

    def route_device_key(self, rec, device_id):
        body, err = self.json_body(rec)
        if err:
            return err
        store = self.app.store
        with store.lock:
            actor = self.actor()
            # Only a user may add device keys on this server: a provisioning
            # key or the device's own key get 401, empty (07, 07b, 57).
            if actor is None or actor.kind != "user":
                return empty(401)
            dev = store.get("device", int(device_id))
            if dev is None:
                return json_reply(404, "fake-cloud: no device with id %s" % device_id)
            key = body.get("apiKey") if isinstance(body, dict) else None
            key = secrets.token_hex(16) if key is None else key
            if not isinstance(key, str) or not key:
                return json_reply(400, "fake-cloud: apiKey must be a non-empty string")
            if key in store.keys:
                return json_reply(409, '"key" must be unique.')         # 07c
            store.add_key(key, "device", device_id=dev["id"], app_id=ref_id(dev["belongs_to__application"]))
            return json_reply(200, key)                                 # 07d

    def route_state_get(self, rec, uuid):
        store = self.app.store
        with store.lock:
            dev = store.device_by_uuid(uuid)
            if dev is None:
                return Reply(304, "304")        # unknown or deleted: 304, no ETag (52, 69, 70)
            actor = self.actor()
            if actor is None or not store.can_see_device(actor, dev):
                return empty(401)               # 50, 51, 62b, 63
            store.heartbeat(dev)
            return json_reply(200, store.target_state(dev))

    def route_state_patch(self, rec):
        body, err = self.json_body(rec)
        if err:
            return err
        with self.app.store.lock:
            return report.patch_state(self.app.store, self.actor(), body, rec["seq"])

    def route_tags_patch(self, rec):
        body, err = self.json_body(rec)
        if err:
            return err
        with self.app.store.lock:
            return report.patch_tags(self.app.store, self.actor(), body)

    def log_writer(self, uuid):
        """(device, None) or (None, the early answer of the log endpoints)."""
        store = self.app.store
        with store.lock:
            dev, actor = store.device_by_uuid(uuid), self.actor()
            if dev is None:
                return None, empty(401)
            if actor is None:
                return None, api_key_required()
            if not store.can_see_device(actor, dev):
                return None, empty(401)
            return dev, None

    def route_log_stream(self, rec, uuid):
        dev, denied = self.log_writer(uuid)
        if denied:
            # Answered before the body ends: a deleted device after the
            # server's delay (72), a bad key at once (55).
            if dev is None and denied.status == 401 and denied.kind == "empty":
                denied.delay = self.app.settings.deleted_log_delay_s
            return self.closing(denied)
        if self.headers.get("Content-Type") != NDJSON:                  # exact, as the API compares
            return self.closing(json_reply(415, "Streaming requests require Content-Type %s" % NDJSON))
        self.body_read = True
        decoder = Decoder(self.headers.get("Content-Encoding"))
        buffer, pending, text, lineno = [], b"", [], 0
        chunks = iter_body(self.rfile, self.headers)
        fault, received = getattr(self, "fault", None), 0
        while True:
            if fault and fault["fault"] == "slow-read":
                self.app.stopping.wait(fault["seconds"])
            chunk = next(chunks, None)
            data = decoder.finish() if chunk is None else decoder.feed(chunk)
            if sum(map(len, text)) < MAX_RECORDED_BODY:
                text.append(data.decode("utf-8", "replace"))
                rec["body"] = "".join(text)
            pending += data
            *lines, pending = pending.split(b"\n")
            if chunk is None and pending.strip():
                lines.append(pending)   # a last line without newline still counts
            for line in lines:
                lineno += 1
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                except ValueError as e:
                    return self.closing(Reply(400, "text", "fake-cloud: log line %d is not JSON: %s" % (lineno, e)))
                with self.app.store.lock:
                    self.app.store.log_received(rec["seq"], dev, "stream", obj, convert_log(obj), buffer,
                                                problem=device_line_problem(obj))
                received += 1
                if fault and fault["fault"] == "drop-mid-stream" and received >= fault["lines"]:
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return None
            if chunk is None:
                return empty(201)       # 31, 33-35: when the body ends

    def route_logs_batch(self, rec, uuid):
        body, err = self.json_body(rec)
        if err:
            return err
        dev, denied = self.log_writer(uuid)
        if denied:
            return denied
        if not isinstance(body, list):
            return json_reply(400, "fake-cloud: the body must be a JSON array of log lines")
        if len(body) > 10:
            return json_reply(400, "Batches cannot include more than 10 logs")
        with self.app.store.lock:
            for line in body:
                self.app.store.log_received(rec["seq"], dev, "batch", line, convert_log(line))
        return empty(201)                                               # 36

    def route_logs_read(self, rec, uuid):
        params = dict(urllib.parse.parse_qsl(self.query))
        if params.get("stream") == "1":
            return not_implemented(rec, self.command, self.path, "streaming log reads")
        store = self.app.store
        with store.lock:
            actor, dev = self.actor(), store.device_by_uuid(uuid)
            if actor is None:
                return empty(401)
            if dev is None or not store.can_see_device(actor, dev):
                return json_reply(404, "No device with uuid %s" % uuid)
            raw = params.get("count")
            count = None if raw == "all" else _check_int(raw) if raw is not None else None
            count = LOG_RETENTION if count is None else min(count, LOG_RETENTION)
            lines = store.logs.get(dev["id"], [])
            return json_reply(200, lines[-count:] if count else [])     # 37, 78, 79

    def route_pine(self, rec, resource, key):
        body = None
        if self.command in ("POST", "PATCH"):
            body, err = self.json_body(rec)
            if err:
                return err
        with self.app.store.lock:
            try:
                return self.app.pine.handle(self.actor(), self.command, resource,
                                            int(key) if key else None, self.query, body)
            except NotImplementedQuery as e:
                return not_implemented(rec, self.command, self.path.partition("?")[0], str(e))

    # ---- control API ----------------------------------------------------------------

    def control(self, path):
        try:
            body, err = self.json_body(None)
            if err:
                raise ControlError(err.value)
            with self.app.store.lock:
                status, value = self.control_call(path, body)
                value = json.loads(json.dumps(value, default=_plain))
        except ControlError as e:
            status, value = 400, {"error": str(e)}
        except BodyError as e:
            status, value = 400, {"error": "bad request body: %s" % e}
        except Exception as e:      # a bug in the fake: say so, keep serving
            import traceback
            traceback.print_exc()
            status, value = 500, {"error": "fake-cloud internal error: %r" % e}
        self.send_reply(json_reply(status, value))
        self.account(None)

    def control_call(self, path, body):
        app, store, method = self.app, self.app.store, self.command
        params = dict(urllib.parse.parse_qsl(self.query))
        since = _check_int(params.get("since", 0)) or 0
        route = path[len("/__control/"):]
        name, _, arg = route.partition("/")
        ok = {"ok": True}
        if route == "health":
            return 200, ok
        if route == "settings":
            if method == "POST":
                app.settings.update(_obj(body))
            return 200, app.settings.as_dict()
        if route == "target" and method == "POST":
            b = _obj(body)
            store.set_target(b.get("apps"), b.get("config"), b.get("env"))
            return 200, ok
        if route == "releases" and method == "POST":
            b = _obj(body)
            owner = store.app_by_uuid(b["app"]) if "app" in b else store.fleet()
            if owner is None or not isinstance(b.get("releases"), dict):
                raise ControlError('needs "releases": {commit: v3 release} and an existing "app" uuid')
            for commit, rel in b["releases"].items():
                store.register_release(owner["id"], commit, rel)
            return 200, ok
        if name == "state" and method == "GET":
            dev = store.device_by_uuid(arg)
            if dev is None:
                return 404, {"error": "no live device %s" % arg}
            state = store.target_state(dev)
            return 200, {"body": state, "etag": weak_etag(js_json(state).encode())}
        if route == "provisioning-key" and method == "POST":
            b = _obj(body)
            store.add_key(b.get("key"), "provisioning", app_id=store.fleet_id)
            store.keys[b["key"]]["expired"] = bool(b.get("expired"))
            return 200, ok
        if route == "user-token" and method == "POST":
            store.add_key(_obj(body).get("token"), "user")
            return 200, ok
        if route == "device-names" and method == "POST":
            names = _obj(body).get("names")
            if not isinstance(names, list) or not all(isinstance(n, str) and n for n in names):
                raise ControlError('needs "names": [non-empty strings]')
            store.names.extend(names)
            return 200, ok
        if route == "device-types" and method == "POST":
            types = _obj(body).get("types")
            if not isinstance(types, list) or not all(isinstance(t, str) for t in types):
                raise ControlError('needs "types": [slugs]')
            store.device_types = set(types)
            return 200, ok
        if route == "device" and method == "POST":
            b = _obj(body)
            if not isinstance(b.get("uuid"), str) or not isinstance(b.get("api_key"), str):
                raise ControlError('needs "uuid" and "api_key" strings')
            dev = store.create_device(b["uuid"], b["api_key"], b.get("name"), b.get("fields"), b.get("id"))
            return 200, self.control_view(dev)
        if route == "devices" and method == "GET":
            return 200, [self.control_view(d) for d in store.tables["device"].values()]
        if name == "device" and arg:
            dev = next((d for d in reversed(list(store.tables["device"].values())) if d["uuid"] == arg), None)
            if dev is None:
                return 404, {"error": "no device %s" % arg}
            if method == "GET":
                return 200, self.control_view(dev)
            if method == "DELETE":
                store.delete_device(dev)
                return 200, ok
            if method == "PATCH":
                self.control_patch_device(dev, _obj(body))
                return 200, self.control_view(dev)
        if route in ("requests", "reports") and method in ("GET", "DELETE"):
            items = app.requests if route == "requests" else store.reports
            if method == "DELETE":
                items.clear()
                return 200, ok
            return 200, [r for r in items if r["seq"] > since]
        if route == "logs" and method in ("GET", "DELETE"):
            if method == "DELETE":
                store.log_records.clear()
                return 200, ok
            return 200, {"lines": [r for r in store.log_records if r["seq"] > since], "pending": store.pending_logs}
        if route == "fault":
            if method == "POST":
                app.faults.add(body)
                return 200, ok
            if method == "DELETE":
                app.faults.items.clear()
                return 200, ok
            if method == "GET":
                return 200, app.faults.items
        return 404, {"error": "no control endpoint %s %s (see the top of fake_cloud.py)" % (method, path)}

    def control_patch_device(self, dev, b):
        store = self.app.store
        unknown = set(b) - {"name", "key_expired", "fields", "env", "config", "pinned_release"}
        if unknown:
            raise ControlError("unknown keys %s" % sorted(unknown))
        if "name" in b:
            dev["device_name"] = b["name"]
        if "key_expired" in b:
            for key in store.keys.values():
                if key["device_id"] == dev["id"]:
                    key["expired"] = bool(b["key_expired"])
        for k, v in (b.get("fields") or {}).items():
            if k not in dev or k.startswith("_") or k in ("id", "uuid"):
                raise ControlError("unknown device field %r" % k)
            dev[k] = v
        if "env" in b:
            store._replace_vars("device_environment_variable", "device", dev["id"], b["env"])
        if "config" in b:
            store._replace_vars("device_config_variable", "device", dev["id"], b["config"])
        if "pinned_release" in b:
            rel = next((r for r in store.rows("release") if r["commit"] == b["pinned_release"]), None)
            if b["pinned_release"] is not None and rel is None:
                raise ControlError("no known release %s" % b["pinned_release"])
            dev["is_pinned_on__release"] = Ref("release", rel["id"]) if rel else None

    def control_view(self, dev):
        store = self.app.store
        view = {k: ref_id(v) for k, v in dev.items() if not k.startswith("_")}
        view["overall_status"], view["overall_progress"] = store._overall(dev)
        view["deleted"] = dev["_deleted"]
        view["keys"] = [k for k, v in store.keys.items() if v["device_id"] == dev["id"]]
        view["tags"] = {t["tag_key"]: t["value"] for t in store.children("device_tag", "device", dev["id"])}
        for name, table in (("env", "device_environment_variable"), ("config", "device_config_variable")):
            view[name] = {v["name"]: v["value"] for v in store.children(table, "device", dev["id"])}
        view["image_installs"] = [{
            "id": i["id"], "status": i["status"], "download_progress": i["download_progress"],
            "image": store.tables["image"][i["installs__image"].id]["is_stored_at__image_location"],
            "release": store.tables["release"][i["is_provided_by__release"].id]["commit"]}
            for i in store.tables["image_install"].values() if i["device"].id == dev["id"]]
        return view


# What a correct device sends (cloud-protocol §6.2, the key orders of capture
# 31). The API is laxer (it stores what convert_log keeps); a test asserts
# that no received line has a problem.
LINE_KEY_ORDERS = (
    ["message", "isSystem", "timestamp"],                   # system
    ["message", "timestamp", "isSystem", "isStdErr"],       # system error (the suppression warning)
    ["message", "isStdErr", "timestamp", "serviceId"],      # container
)


def device_line_problem(obj):
    """None when `obj` is a line as the device protocol says, else why not."""
    if not isinstance(obj, dict):
        return "not an object"
    keys = list(obj)
    if keys not in LINE_KEY_ORDERS:
        return "keys %s are not one of the device's forms %s" % (keys, LINE_KEY_ORDERS)
    is_int = lambda v: isinstance(v, int) and not isinstance(v, bool)
    if not isinstance(obj["message"], str):
        return "message is not a string"
    if len(obj["message"]) > 10000:
        return "message longer than 10000 characters"
    if not is_int(obj["timestamp"]) or obj["timestamp"] <= 0:
        return "timestamp is not a positive integer (epoch ms)"
    if "isSystem" in obj and obj["isSystem"] is not True:
        return "isSystem is present but not true"
    if "isStdErr" in obj and not isinstance(obj["isStdErr"], bool):
        return "isStdErr is not a boolean"
    if "serviceId" in obj and (not is_int(obj["serviceId"]) or obj["serviceId"] <= 0):
        return "serviceId is not a positive integer"
    return None


def _plain(value):
    return ref_id(value) if isinstance(value, Ref) else repr(value)


def _obj(body):
    if not isinstance(body, dict):
        raise ControlError("the body must be a JSON object")
    return body


def _check_int(value):
    """The API's checkInt: an integer or a string of digits."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d+", value):
        return int(value)
    return None


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # A client that goes away or fails the TLS handshake is not the fake's fault.
        if not isinstance(sys.exc_info()[1], (ConnectionError, ssl.SSLError, socket.timeout, OSError)):
            super().handle_error(request, client_address)


def main():
    p = argparse.ArgumentParser(description="Strict fake balena cloud for tests (loopback only).")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--tls-cert")
    p.add_argument("--tls-key")
    p.add_argument("--deleted-log-delay", type=float, help="seconds before a deleted device's log stream "
                   "gets its 401 (default 55, as the real API)")
    p.add_argument("--log-flush-ms", type=int, help="delay before streamed log lines are stored (default 500)")
    p.add_argument("--verbose", action="store_true", help="log every request to stderr")
    args = p.parse_args()
    try:
        loopback = args.host == "localhost" or ipaddress.ip_address(args.host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        p.error("--host must be a loopback address (127.0.0.0/8, ::1 or localhost), got %r" % args.host)
    if bool(args.tls_cert) != bool(args.tls_key):
        p.error("--tls-cert and --tls-key go together")

    settings = Settings()
    if args.deleted_log_delay is not None:
        settings.deleted_log_delay_s = args.deleted_log_delay
    if args.log_flush_ms is not None:
        settings.log_flush_ms = args.log_flush_ms
    Handler.app = app = App(settings, args.verbose)
    Server.address_family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    server = Server((args.host, args.port), Handler)
    if args.tls_cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls_cert, args.tls_key)
        # Handshakes run in the connection's thread (Handler.setup), not in accept().
        server.socket = ctx.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)

    def stop(*_):
        app.stopping.set()
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print("listening %d" % server.server_address[1], flush=True)
    server.serve_forever()
    server.server_close()


if __name__ == "__main__":
    main()

"""Starts a fake cloud for a test and talks to its control API.

    from harness import FakeCloud          # with tests/fake_cloud on sys.path
    with FakeCloud() as cloud:
        cloud.set_target(apps={...}, config={...})
        cloud.provisioning_key("abc")
        ... point the device at cloud.url ...
        assert cloud.reports()[-1][uuid]["apps"] ...

The server runs as a subprocess of this process and is stopped by its pid
(SIGTERM, then SIGKILL after 5 s). See fake_cloud.py for the control API;
`control()` reaches any endpoint the helpers below do not wrap.
"""
import json
import os
import select
import signal
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request

SERVER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fake_cloud.py")


class FakeCloudError(Exception):
    pass


class FakeCloud:
    # A loaded CI machine can take seconds to start Python; the wait ends as
    # soon as the server prints its port.
    def __init__(self, host="127.0.0.1", tls_cert=None, tls_key=None, args=(), startup_timeout=60):
        self.host, self.tls_cert, self.tls_key = host, tls_cert, tls_key
        self.args, self.startup_timeout = list(args), startup_timeout
        self.proc, self.port, self.url = None, None, None

    # ---- lifecycle -------------------------------------------------------------

    def start(self):
        cmd = [sys.executable, SERVER, "--port", "0", "--host", self.host, *self.args]
        if self.tls_cert:
            cmd += ["--tls-cert", self.tls_cert, "--tls-key", self.tls_key]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=None, text=True)
        ready, _, _ = select.select([self.proc.stdout], [], [], self.startup_timeout)
        line = self.proc.stdout.readline() if ready else ""
        if not line.startswith("listening "):
            self.stop()
            raise FakeCloudError("fake cloud did not start (%s): first line %r" % (" ".join(cmd), line))
        self.port = int(line.split()[1])
        host = "[%s]" % self.host if ":" in self.host else self.host
        self.url = "%s://%s:%d" % ("https" if self.tls_cert else "http", host, self.port)
        return self

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        self.proc.stdout.close()
        self.proc = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # ---- control API -------------------------------------------------------------

    def control(self, method, path, body=None):
        """Calls /__control/<path>; returns the decoded JSON answer, raises
        FakeCloudError with the server's message on any error status."""
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + "/__control/" + path.lstrip("/"), data=data, method=method,
                                     headers={"Content-Type": "application/json"} if data else {})
        ctx = None
        if self.tls_cert:   # our own self-signed certificate
            ctx = ssl.create_default_context(cafile=self.tls_cert)
            ctx.check_hostname = False
        try:
            with urllib.request.urlopen(req, timeout=30, context=ctx) as resp:
                return json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as e:
            raise FakeCloudError("%s /__control/%s: %d %s" % (method, path, e.code, e.read().decode()))

    def set_target(self, apps=None, config=None, env=None):
        body = {k: v for k, v in (("apps", apps), ("config", config), ("env", env)) if v is not None}
        return self.control("POST", "target", body)

    def add_releases(self, releases, app=None):
        return self.control("POST", "releases", {"releases": releases, **({"app": app} if app else {})})

    def provisioning_key(self, key, expired=False):
        return self.control("POST", "provisioning-key", {"key": key, "expired": expired})

    def user_token(self, token):
        return self.control("POST", "user-token", {"token": token})

    def device_names(self, names):
        return self.control("POST", "device-names", {"names": list(names)})

    def add_device(self, uuid, api_key, **kw):
        return self.control("POST", "device", {"uuid": uuid, "api_key": api_key, **kw})

    def device(self, uuid):
        return self.control("GET", "device/" + uuid)

    def devices(self):
        return self.control("GET", "devices")

    def patch_device(self, uuid, **changes):
        return self.control("PATCH", "device/" + uuid, changes)

    def delete_device(self, uuid):
        return self.control("DELETE", "device/" + uuid)

    def target_state(self, uuid):
        """{"body": what the device would get, "etag": its ETag}."""
        return self.control("GET", "state/" + uuid)

    def requests(self, since=0):
        return self.control("GET", "requests?since=%d" % since)

    def unexpected_requests(self, since=0):
        """Requests the fake does not implement (answered 404)."""
        return [r for r in self.requests(since) if r["unhandled"]]

    def reports(self, since=0):
        """Bodies of the accepted state PATCHes, oldest first."""
        return [r["body"] for r in self.control("GET", "reports?since=%d" % since)]

    def logs(self, since=0):
        """Received log lines: [{"seq", "uuid", "via", "line", "stored"}]."""
        return self.control("GET", "logs?since=%d" % since)["lines"]

    def wait_logs_stored(self, timeout=10):
        """Waits until streamed lines have passed the server's flush delay."""
        deadline = time.time() + timeout
        while self.control("GET", "logs")["pending"]:
            if time.time() > deadline:
                raise FakeCloudError("streamed log lines still pending after %ss" % timeout)
            time.sleep(0.05)

    def fault(self, path, fault, count=1, seconds=None, method=None, lines=None):
        spec = {"path": path, "fault": fault, "count": count}
        if seconds is not None:
            spec["seconds"] = seconds
        if lines is not None:
            spec["lines"] = lines
        if method:
            spec["method"] = method
        return self.control("POST", "fault", spec)

    def clear_faults(self):
        return self.control("DELETE", "fault")

    def settings(self, **values):
        return self.control("POST", "settings", values)

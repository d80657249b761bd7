"""The supervisor daemon as a process in local mode, driven through its local
API as the balena CLI drives it: what the end-to-end tests share to start,
stop and ask it."""
import json
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request


class Daemon:
    """`local_mode` None leaves the key out (a managed device decides it);
    `auth` headers go with every request; other keywords are config keys."""

    def __init__(self, supervisor, docker_host, data_dir, port, local_mode=True, api_key="e2e_secret_key",
                 config_path=None, log_path=None, auth=None, **config):
        self.supervisor, self.data_dir, self.port = supervisor, data_dir, port
        self.config = config_path or os.path.join(data_dir, "config.json")
        self.auth = auth or {}
        os.makedirs(data_dir, exist_ok=True)
        settings = {"dataDir": data_dir, "listenPort": port, "apiKey": api_key, "recheckInterval": 2000,
                    "dockerHost": docker_host, **config}
        if local_mode is not None:
            settings["localMode"] = local_mode
        with open(self.config, "w") as f:
            json.dump(settings, f)
        self.log_path = log_path or os.path.join(data_dir, "daemon.log")
        self.proc = None

    def spawn(self):
        self.log = open(self.log_path, "a")
        self.proc = subprocess.Popen([self.supervisor, "run", "--config", self.config], stdout=self.log,
                                     stderr=subprocess.STDOUT)

    def start(self):
        self.spawn()
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                if self.get("/ping")[1] == "OK":
                    return
            except OSError:
                time.sleep(0.1)
        raise AssertionError("the daemon did not answer /ping:\n" + self.logs())

    def stop(self, sig=signal.SIGTERM):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=30)
        self.proc = None

    def logs(self):
        with open(self.log_path) as f:
            return f.read()

    def request(self, method, path, body=None, headers=None):
        """(status, body text); a body is sent as JSON unless headers say otherwise."""
        data = body.encode() if isinstance(body, str) else body
        if headers is None:
            headers = {"Content-Type": "application/json"} if body is not None else {}
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", data=data, method=method,
                                     headers={**self.auth, **headers})
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                return resp.status, resp.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def get(self, path, headers=None):
        return self.request("GET", path, headers=headers)

    def post_target(self, target):
        """Posts a target: a dict, or JSON text as it is (bad JSON included)."""
        return self.request("POST", "/v2/local/target-state", target if isinstance(target, str) else json.dumps(target))

    def stored_target(self):
        status, body = self.get("/v2/local/target-state")
        assert status == 200, (status, body)
        return json.loads(body)

    def wait_applied(self, release, services, timeout=120):
        deadline = time.time() + timeout
        last = None
        while time.time() < deadline:
            status, body = self.get("/v2/state/status")
            if status == 200:
                last = json.loads(body)
                running = [c for c in last["containers"] if c["status"] == "Running"]
                if last["appState"] == "applied" and last.get("release") == release and len(running) == services:
                    return last
            time.sleep(0.5)
        raise AssertionError(f"not applied within {timeout}s: {last}\n" + self.logs()[-3000:])

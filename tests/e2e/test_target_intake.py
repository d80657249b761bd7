#!/usr/bin/env python3
"""End-to-end (issue 12 items 4, 5 and 8): targets that break the intake
rules, posted to a running daemon in local mode, are refused with a 400
naming the bad field, and nothing changes: the same containers (same ids,
not restarted), the same stored target, no directory outside the data
directory. Once, a service named with Docker-refused characters was taken
with a 200 and the planner removed all the running services.

usage: test_target_intake.py SUPERVISOR TESTENV_DIR
Needs the docker_env fixture (scripts/testenv/up.sh).
"""
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

from e2e_common import check, docker, free_port, refuse_foreign_engine, summary  # noqa: E402

SUPERVISOR, TESTENV = sys.argv[1], sys.argv[2]
ENV = dict(line.strip().split("=", 1) for line in open(os.path.join(TESTENV, "env")) if "=" in line)
BUSYBOX = ENV["BUSYBOX_IMAGE"]
APP_ID = random.randint(100000, 999999)  # this run's app: everything it creates carries it
COMMAND = ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"]


def containers():
    """name -> (id, started_at, running) of this run's containers."""
    out = {}
    for cid in docker("ps", "-aq", "--filter", f"label=io.balena.app-id={APP_ID}").split():
        info = json.loads(docker("inspect", cid))[0]
        out[info["Name"].lstrip("/")] = (info["Id"], info["State"]["StartedAt"], info["State"]["Running"])
    return out


class Daemon:
    def __init__(self, data_dir, port):
        self.data_dir, self.port = data_dir, port
        self.config = os.path.join(data_dir, "config.json")
        os.makedirs(data_dir, exist_ok=True)
        with open(self.config, "w") as f:
            json.dump({"dataDir": data_dir, "listenPort": port, "localMode": True, "apiKey": "e2e_secret_key",
                       "recheckInterval": 1000, "dockerHost": ENV["DOCKER_HOST"]}, f)
        self.log_path = os.path.join(data_dir, "daemon.log")
        self.proc = None

    def start(self):
        self.log = open(self.log_path, "a")
        self.proc = subprocess.Popen([SUPERVISOR, "run", "--config", self.config], stdout=self.log,
                                     stderr=subprocess.STDOUT)
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                if self.request("GET", "/ping")[1] == "OK":
                    return
            except OSError:
                time.sleep(0.1)
        raise AssertionError("the daemon did not answer /ping:\n" + self.logs())

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=20)
        self.proc = None

    def logs(self):
        with open(self.log_path) as f:
            return f.read()

    def request(self, method, path, body=None):
        data = body.encode() if isinstance(body, str) else body
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", data=data, method=method,
                                     headers={"Content-Type": "application/json"} if body is not None else {})
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                return resp.status, resp.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def post_target(self, text):
        return self.request("POST", "/v2/local/target-state", text)

    def stored_target(self):
        status, body = self.request("GET", "/v2/local/target-state")
        assert status == 200, (status, body)
        return json.loads(body)

    def wait_applied(self, release, services, timeout=120):
        deadline = time.time() + timeout
        last = None
        while time.time() < deadline:
            status, body = self.request("GET", "/v2/state/status")
            if status == 200:
                last = json.loads(body)
                running = [c for c in last["containers"] if c["status"] == "Running"]
                if last["appState"] == "applied" and last.get("release") == release and len(running) == services:
                    return last
            time.sleep(0.5)
        raise AssertionError(f"not applied within {timeout}s: {last}\n" + self.logs()[-3000:])


def service(name, sid, **compose):
    return {"serviceName": name, "serviceId": sid, "imageId": sid, "image": BUSYBOX, "environment": {"ROLE": name},
            "labels": {}, "command": COMMAND, **compose}


def target(services, commit="release-1", release_id=1, networks=None):
    return {"local": {"name": "e2e-intake", "config": {}, "apps": {str(APP_ID): {
        "name": "e2e-intake-app", "commit": commit, "releaseId": release_id,
        "services": {str(s["serviceId"]): s for s in services},
        "volumes": {}, "networks": networks if networks is not None else {"backend": {}}}}}}


GOOD = [service("api", 1, networks=["backend"]), service("web", 2, networks=["backend"])]
P = f"/local/apps/{APP_ID}"
# (what, body text, the pointer the 400 must name)
BAD = [
    ("a service name with a path", json.dumps(target(GOOD + [service("../../../../tmp/x", 3)])),
     f"{P}/services/3/serviceName"),
    ("a service name with unicode", json.dumps(target([service("wéb", 2)] + GOOD[:1])), f"{P}/services/2/serviceName"),
    ("a service name replacing one that runs", json.dumps(target([service("../../etc", 1)] + GOOD[1:])),
     f"{P}/services/1/serviceName"),
    ("a commit with a slash", json.dumps(target(GOOD, commit="a/b")), f"{P}/commit"),
    ("a releaseId of 2^63", json.dumps(target(GOOD, release_id=2 ** 63)), f"{P}/releaseId"),
    ("an environment value that is a number", json.dumps(target([dict(GOOD[0], environment={"A": 1})] + GOOD[1:])),
     f"{P}/services/1/environment/A"),
    ("a network name with a path", json.dumps(target(GOOD, networks={"backend": {}, "../n": {}})),
     f"{P}/networks/..~1n"),
    ("a body nested 100,000 deep", '{"local": ' + "[" * 100000 + "]" * 100000 + "}", "deeper than 64 levels"),
]


def cleanup():
    for cid in docker("ps", "-aq", "--filter", f"label=io.balena.app-id={APP_ID}").split():
        docker("rm", "-f", "-v", cid, check=False)
    for net in docker("network", "ls", "-q", "--filter", f"label=io.balena.app-id={APP_ID}").split():
        docker("network", "rm", net, check=False)


def main():
    if refuse_foreign_engine("e2e.target_intake"):
        return 1
    work = tempfile.mkdtemp(prefix="supervisor-e2e-intake-")
    # Deep enough that ../../../../tmp/x from the lock directory stays inside
    # `work`, where the test can see it.
    daemon = Daemon(os.path.join(work, "a", "b", "c", "device"), free_port())
    try:
        daemon.start()

        def install():
            status, body = daemon.post_target(json.dumps(target(GOOD)))
            assert status == 200, (status, body)
            daemon.wait_applied("release-1", 2)
            assert sorted(containers()) == ["api_1_1_release-1", "web_2_1_release-1"], containers()
        check("a good 2-service target comes up", install)

        def refused():
            before, stored = containers(), daemon.stored_target()
            for what, body, pointer in BAD:
                status, answer = daemon.post_target(body)
                assert status == 400, f"{what}: {status} {answer[:300]}"
                assert pointer in answer, f"{what}: the answer does not name {pointer}: {answer[:300]}"
            time.sleep(3)  # several re-checks of the apply loop
            after = containers()
            assert after == before, f"the running release was touched: {before} -> {after}"
            assert daemon.stored_target() == stored, "the stored target changed"
            daemon.wait_applied("release-1", 2, timeout=10)
            # The lock directory of ../../../../tmp/x would have been
            # <data>/locks/<app>/../../../../tmp/x, that is <work>/a/b/tmp/x.
            escaped = [os.path.join(root, name) for root, dirs, _ in os.walk(work) for name in dirs if name == "tmp"]
            assert not escaped, f"directories made outside the lock directory: {escaped}"
        check("bad targets are refused with 400 naming the field; the same containers run, the stored target stays",
              refused)

        def restart():
            before = containers()
            daemon.stop()
            daemon.start()
            daemon.wait_applied("release-1", 2)
            assert containers() == before, "a refused target came back after a restart"
        check("after a restart the daemon runs the last good target, recreating nothing", restart)
    finally:
        daemon.stop()
        cleanup()
        shutil.rmtree(work, ignore_errors=True)
    return summary("e2e.target_intake")


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Cloud-mode figures for a managed device, against the fake balena cloud
(tests/fake_cloud) and the real engine of the test environment:

1. bytes on the wire per unchanged poll cycle (both directions, HTTP framing
   and headers included, as the fake cloud counts them; plain HTTP, so no
   TLS records), next to the balena supervisor's ~9.7 KB;
2. seconds from a target change in the cloud to the new release running, 10
   services, with an instant update (POST /v1/update);
3. bytes written to disk per hour by the idle, managed device
   (/proc/PID/io write_bytes over a measured interval, extrapolated).

usage: bench/cloud_bench.py SUPERVISOR TESTENV_DIR [IDLE_SECONDS]
(scripts/bench.sh sets the environment up and calls it.)
"""
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid as uuidlib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "fake_cloud"))
from harness import FakeCloud  # noqa: E402

SUPERVISOR, TESTENV = sys.argv[1], sys.argv[2]
IDLE_SECONDS = int(sys.argv[3]) if len(sys.argv) > 3 else 120
ENV = dict(line.strip().split("=", 1) for line in open(os.path.join(TESTENV, "env")) if "=" in line)
IMAGE = ENV["BUSYBOX_IMAGE"]
SERVICES = 10
APP_ID = random.randint(100000, 999999)
APP_UUID = uuidlib.uuid4().hex
KEY = "bench_local_key"
COMMAND = ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"]


def docker(*args, check=True):
    return subprocess.run(["docker", *args], capture_output=True, text=True, check=check).stdout.strip()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


TAGS = []


def fleet(commit, rid, level, poll_ms):
    # Each release its own image location, as in a real fleet (the cloud
    # refuses a report where one location stands for several releases).
    image = f"reconcile-test/cloud-bench-{APP_ID}:r{rid}"
    docker("tag", IMAGE, image)
    TAGS.append(image)
    services = {f"s{i}": {"id": i, "image_id": rid * 100 + i, "image": image, "environment": {"LEVEL": level},
                          "labels": {}, "composition": {"command": COMMAND}} for i in range(1, SERVICES + 1)}
    return {APP_UUID: {"id": APP_ID, "name": "bench", "class": "fleet", "is_host": False,
                       "releases": {commit: {"id": rid, "services": services}}}}, \
        {"BALENA_SUPERVISOR_POLL_INTERVAL": str(poll_ms)}


class Device:
    def __init__(self, work, url):
        self.port = free_port()
        os.makedirs(os.path.join(work, "data"))
        self.config = os.path.join(work, "supervisor.json")
        with open(self.config, "w") as f:
            json.dump({"dataDir": os.path.join(work, "data"), "listenPort": self.port, "apiKey": KEY,
                       "configJsonPath": os.path.join(work, "config.json"), "dockerHost": ENV["DOCKER_HOST"],
                       "appsJsonPath": os.path.join(work, "apps.json")}, f)
        with open(os.path.join(work, "config.json"), "w") as f:
            json.dump({"apiEndpoint": url, "apiKey": "bench-provisioning", "applicationId": APP_ID,
                       "deviceType": "generic-amd64", "bootstrapRetryDelay": 1000}, f)
        # The log goes to a pipe, not a file: its writes are not the
        # daemon's own disk writes (on a device the journal takes them).
        self.lines = []
        self.proc = subprocess.Popen([SUPERVISOR, "run", "--config", self.config], stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True)
        threading.Thread(target=lambda: [self.lines.append(l) for l in self.proc.stdout], daemon=True).start()

    def call(self, method, path, body=None):
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", data=body, method=method,
                                     headers={"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                return resp.status, resp.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def applied(self, commit):
        try:
            status, body = self.call("GET", "/v2/state/status")
        except OSError:
            return False
        if status != 200:
            return False
        state = json.loads(body)
        running = [c for c in state["containers"] if c["status"] == "Running"]
        return state["appState"] == "applied" and state.get("release") == commit and len(running) == SERVICES

    def wait_applied(self, commit, timeout=180, interval=0.02):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.applied(commit):
                return time.time()
            time.sleep(interval)
        raise SystemExit(f"{commit} not applied within {timeout}s:\n" + "".join(self.lines[-40:]))

    def write_bytes(self):
        with open(f"/proc/{self.proc.pid}/io") as f:
            return int(dict(l.split(": ") for l in f.read().splitlines())["write_bytes"])

    def stop(self):
        self.proc.terminate()
        self.proc.wait(30)


def main():
    work = tempfile.mkdtemp(prefix="supervisor-cloud-bench-")
    device = None
    try:
        with FakeCloud() as cloud:
            commit = uuidlib.uuid4().hex
            apps, config = fleet(commit, 1, "1", 10000)
            cloud.set_target(apps=apps, config=config)
            cloud.provisioning_key("bench-provisioning")
            device = Device(work, cloud.url)
            device.wait_applied(commit)

            # 1. Unchanged poll cycles: instant updates make the polls happen
            # now; each answers 304. Reports stay quiet (nothing changed).
            time.sleep(15)  # past the report throttle: the install reports are out
            seq = cloud.requests()[-1]["seq"]
            for _ in range(20):
                device.call("POST", "/v1/update", b"{}")
                time.sleep(0.5)
            time.sleep(1)
            window = cloud.requests(seq)
            polls = [r for r in window if r["method"] == "GET" and r["path"].startswith("/device/v3/")]
            unchanged = [r for r in polls if r["status"] == 304]
            total = sum(r["bytes_in"] + r["bytes_out"] for r in window)
            per_poll = total / max(len(unchanged), 1)
            print(f"cloud: bytes per unchanged poll cycle: {per_poll:.0f} B "
                  f"({len(unchanged)} polls answered 304 of {len(polls)}; "
                  f"{len(window) - len(polls)} other requests in the window; "
                  f"request {sum(r['bytes_in'] for r in unchanged) / max(len(unchanged), 1):.0f} B, "
                  f"answer {sum(r['bytes_out'] for r in unchanged) / max(len(unchanged), 1):.0f} B)")

            # 2. Instant update of 10 services: new environment -> every
            # container is recreated.
            commit2 = uuidlib.uuid4().hex
            apps, config = fleet(commit2, 2, "2", 10000)
            started = time.time()
            cloud.set_target(apps=apps, config=config)
            device.call("POST", "/v1/update", b"{}")
            done = device.wait_applied(commit2)
            print(f"cloud: target change to {SERVICES} new containers running, instant update: "
                  f"{done - started:.2f} s")

            # 3. Idle disk writes.
            time.sleep(15)  # the update's reports and records are out
            before, t0 = device.write_bytes(), time.time()
            time.sleep(IDLE_SECONDS)
            after, t1 = device.write_bytes(), time.time()
            per_hour = (after - before) * 3600 / (t1 - t0)
            print(f"cloud: idle managed device writes {per_hour:.0f} B/hour to disk "
                  f"({after - before} B in {t1 - t0:.0f} s, poll interval 10 s + jitter)")
    finally:
        if device:
            device.stop()
            if os.environ.get("CLOUD_BENCH_LOG"):  # the daemon's log, for a closer look
                with open(os.environ["CLOUD_BENCH_LOG"], "w") as f:
                    f.writelines(device.lines)
        for cid in docker("ps", "-aq", "--filter", f"label=io.balena.app-id={APP_ID}").split():
            docker("rm", "-f", "-v", cid, check=False)
        for net in docker("network", "ls", "-q", "--filter", f"label=io.balena.app-id={APP_ID}").split():
            docker("network", "rm", net, check=False)
        for tag in TAGS:
            docker("rmi", tag, check=False)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

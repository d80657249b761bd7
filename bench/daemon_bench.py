#!/usr/bin/env python3
"""Daemon figures: binary size, time to converge a 10-service release from
scratch next to `docker-compose up -d` on the same services (same run, same
engine), and the daemon's resident memory when idle with them running.

usage: bench/daemon_bench.py SUPERVISOR TESTENV_DIR
(scripts/bench.sh sets everything up and calls it.)
"""
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

SUPERVISOR, TESTENV = sys.argv[1], sys.argv[2]
ENV = dict(line.strip().split("=", 1) for line in open(os.path.join(TESTENV, "env")) if "=" in line)
IMAGE = ENV["BUSYBOX_IMAGE"]
SERVICES = 10
COMMAND = ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"]


def sh(*args, check=True):
    return subprocess.run(args, capture_output=True, text=True, check=check).stdout.strip()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(method, url, body=None):
    req = urllib.request.Request(url, data=body, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return resp.read().decode()


def supervisor_converge(work, app_id):
    port = free_port()
    config = os.path.join(work, "config.json")
    with open(config, "w") as f:
        json.dump({"dataDir": os.path.join(work, "data"), "listenPort": port, "recheckInterval": 30000}, f)
    log = open(os.path.join(work, "daemon.log"), "w")
    proc = subprocess.Popen([SUPERVISOR, "run", "--config", config], stdout=log, stderr=subprocess.STDOUT)
    api = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            http("GET", api + "/ping")
            break
        except OSError:
            time.sleep(0.05)
    services = {str(i): {"serviceName": f"svc{i}", "serviceId": i, "imageId": i, "image": IMAGE,
                         "environment": {}, "labels": {}, "command": COMMAND} for i in range(1, SERVICES + 1)}
    target = {"local": {"name": "bench", "apps": {str(app_id): {"name": "bench", "commit": "bench-1",
                                                                "releaseId": 1, "services": services}}}}
    started = time.monotonic()
    http("POST", api + "/v2/local/target-state", json.dumps(target).encode())
    while True:
        status = json.loads(http("GET", api + "/v2/state/status"))
        running = sum(c["status"] == "Running" for c in status["containers"])
        if status["appState"] == "applied" and status.get("release") == "bench-1" and running == SERVICES:
            break
        if time.monotonic() - started > 300:
            raise SystemExit("the supervisor did not converge in 5 minutes")
        time.sleep(0.05)
    elapsed = time.monotonic() - started
    time.sleep(15)  # idle: settled, only the periodic re-check runs
    memory = {}
    for line in open(f"/proc/{proc.pid}/smaps_rollup"):
        parts = line.split()
        if len(parts) == 3 and parts[2] == "kB":
            memory[parts[0].rstrip(":")] = int(parts[1])
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=20)
    return elapsed, memory


def compose_up(work, project):
    lines = ["version: '2.1'", "services:"]
    for i in range(1, SERVICES + 1):
        lines += [f"  svc{i}:", f"    image: {IMAGE}", f"    command: {json.dumps(COMMAND)}",
                  "    restart: always"]
    path = os.path.join(work, "docker-compose.yml")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    started = time.monotonic()
    sh("docker-compose", "-f", path, "-p", project, "up", "-d")
    elapsed = time.monotonic() - started
    sh("docker-compose", "-f", path, "-p", project, "down", "-v", check=False)
    return elapsed


def remove_app(app_id):
    for cid in sh("docker", "ps", "-aq", "--filter", f"label=io.balena.app-id={app_id}").split():
        sh("docker", "rm", "-f", "-v", cid, check=False)
    for net in sh("docker", "network", "ls", "-q", "--filter", f"label=io.balena.app-id={app_id}").split():
        sh("docker", "network", "rm", net, check=False)


def main():
    size = os.path.getsize(SUPERVISOR)
    stripped = os.path.join(tempfile.mkdtemp(), "supervisor")
    shutil.copy(SUPERVISOR, stripped)
    sh("strip", stripped)
    stripped_size = os.path.getsize(stripped)
    work = tempfile.mkdtemp(prefix="supervisor-bench-")
    app_id = random.randint(100000, 999999)
    try:
        ours, memory = supervisor_converge(work, app_id)
    finally:
        remove_app(app_id)
    theirs = compose_up(work, f"bench{app_id}")
    shutil.rmtree(work, ignore_errors=True)
    print(f"binary size: {size / 1e6:.1f} MB as built, {stripped_size / 1e6:.2f} MB stripped")
    print(f"converge {SERVICES} services from scratch: supervisor {ours:.2f} s, docker-compose up -d {theirs:.2f} s")
    private = memory["Private_Clean"] + memory["Private_Dirty"]
    print(f"idle memory with {SERVICES} services running: RSS {memory['Rss'] / 1024:.1f} MiB, "
          f"PSS {memory['Pss'] / 1024:.1f} MiB, private {private / 1024:.1f} MiB "
          f"(the rest of RSS is shared library pages: libcurl's and cpp-httplib's TLS stacks among them)")


if __name__ == "__main__":
    main()

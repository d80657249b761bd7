#!/usr/bin/env python3
"""Footprint figures (issue 13): what the daemon takes from the device's
containers.

1. idle RSS, PSS and private memory (/proc/PID/smaps_rollup) with 10
   services running, in local mode and cloud-managed (the fake cloud, polling
   at the default interval), with the RSS of every mapping (/proc/PID/smaps);
2. peak RSS (VmHWM, reset through /proc/PID/clear_refs) while a 10-service
   release is applied and while a service's logs stream to the cloud;
3. the stripped binary's size;
4. CPU time per hour of the idle managed device (utime + stime from
   /proc/PID/stat over a measured window, extrapolated);
5. converging 10 services from scratch next to `docker-compose up -d` on
   the same services, same engine, same run (skipped when docker-compose is
   missing).

usage: bench/footprint_bench.py SUPERVISOR TESTENV_DIR [--cpu-window S] [--parts size,local,compose,cloud]
(scripts/bench.sh sets everything up and calls it.)
"""
import argparse
import collections
import json
import os
import random
import re
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

SERVICES = 10
KEY = "footprint_bench_key"
COMMAND = ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"]
# A service that prints access-log-like lines as fast as the shell can for a
# while, then idles: what the log stream's buffers see at their worst.
CHATTY = ["sh", "-c", "trap 'exit 0' TERM; i=0; while [ $i -lt 20000 ]; do i=$((i+1)); "
          "echo \"GET /api/v1/items/$i HTTP/1.1 200 $i bytes in 3 ms\"; done; while true; do sleep 1; done"]
SETTLE_SECONDS = 15   # after converging: reports out, only the periodic checks run
PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024
TICKS = os.sysconf("SC_CLK_TCK")


def docker(*args, check=True):
    return subprocess.run(["docker", *args], capture_output=True, text=True, check=check).stdout.strip()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---- /proc readers -------------------------------------------------------------


def rollup(pid):
    """smaps_rollup in KiB: Rss, Pss, Private (clean + dirty)."""
    values = {}
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            parts = line.split()
            if len(parts) == 3 and parts[2] == "kB":
                values[parts[0].rstrip(":")] = int(parts[1])
    values["Private"] = values["Private_Clean"] + values["Private_Dirty"]
    return values


def mappings(pid):
    """RSS in KiB per mapping name (file, [heap], [stack], anonymous)."""
    rss = collections.Counter()
    name = None
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            if re.match(r"^[0-9a-f]+-[0-9a-f]+ ", line):
                parts = line.split(maxsplit=5)
                name = parts[5].strip() if len(parts) > 5 else "[anonymous: thread stacks, malloc arenas]"
                if name.startswith("[stack:"):
                    name = "[anonymous: thread stacks, malloc arenas]"
            elif line.startswith("Rss:"):
                rss[name] += int(line.split()[1])
    return rss


def status_kib(pid, key):
    with open(f"/proc/{pid}/status") as f:
        return next(int(l.split()[1]) for l in f if l.startswith(key + ":"))


def reset_peak(pid):
    # "5" resets VmHWM to the current RSS (proc(5), clear_refs).
    with open(f"/proc/{pid}/clear_refs", "w") as f:
        f.write("5")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS   # utime, stime (fields 14, 15)


def shared_libraries(pid):
    libs = set()
    with open(f"/proc/{pid}/maps") as f:
        for line in f:
            parts = line.split(maxsplit=5)
            if len(parts) > 5 and ".so" in os.path.basename(parts[5]):
                libs.add(os.path.basename(parts[5].strip()))
    return libs


def mib(kib):
    return f"{kib / 1024:.1f} MiB"


# ---- the daemon ---------------------------------------------------------------------


class Daemon:
    def __init__(self, supervisor, work, docker_host, **config):
        self.port = free_port()
        os.makedirs(os.path.join(work, "data"), exist_ok=True)
        self.config = os.path.join(work, "supervisor.json")
        with open(self.config, "w") as f:
            json.dump({"dataDir": os.path.join(work, "data"), "listenPort": self.port, "apiKey": KEY,
                       "dockerHost": docker_host, **config}, f)
        # A pipe, read by a thread: the log costs the daemon nothing on disk.
        self.lines = []
        self.proc = subprocess.Popen([supervisor, "run", "--config", self.config], stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True)
        threading.Thread(target=lambda: [self.lines.append(l) for l in self.proc.stdout], daemon=True).start()

    def call(self, method, path, body=None, timeout=10):
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", data=body, method=method,
                                     headers={"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                return resp.status, resp.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def wait_ping(self):
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if self.call("GET", "/ping")[1] == "OK":
                    return
            except OSError:
                time.sleep(0.05)
        raise SystemExit("the daemon did not answer /ping:\n" + "".join(self.lines[-40:]))

    def applied(self, commit):
        try:
            status, body = self.call("GET", "/v2/state/status")
        except OSError:
            return False
        if status != 200:
            return False
        state = json.loads(body)
        running = sum(c["status"] == "Running" for c in state["containers"])
        return state["appState"] == "applied" and state.get("release") == commit and running == SERVICES

    def wait_applied(self, commit, timeout=300):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.applied(commit):
                return time.monotonic()
            time.sleep(0.05)
        raise SystemExit(f"{commit} not applied within {timeout} s:\n" + "".join(self.lines[-40:]))

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(30)


def remove_app(app_id):
    for cid in docker("ps", "-aq", "--filter", f"label=io.balena.app-id={app_id}").split():
        docker("rm", "-f", "-v", cid, check=False)
    for net in docker("network", "ls", "-q", "--filter", f"label=io.balena.app-id={app_id}").split():
        docker("network", "rm", net, check=False)


def local_target(image, commit, app_id):
    services = {str(i): {"serviceName": f"svc{i}", "serviceId": i, "imageId": i, "image": image,
                         "environment": {}, "labels": {}, "command": COMMAND} for i in range(1, SERVICES + 1)}
    return {"local": {"name": "footprint", "apps": {str(app_id): {"name": "footprint", "commit": commit,
                                                                 "releaseId": 1, "services": services}}}}


def print_memory(title, pid):
    memory = rollup(pid)
    print(f"{title}: RSS {mib(memory['Rss'])}, PSS {mib(memory['Pss'])}, private {mib(memory['Private'])} "
          f"({len(shared_libraries(pid))} shared libraries mapped, {len(os.listdir(f'/proc/{pid}/task'))} threads)")
    return memory


def print_breakdown(pid, limit=14):
    rss = mappings(pid)
    total = sum(rss.values())
    print(f"  RSS per mapping ({mib(total)} in all):")
    rows = rss.most_common()
    for name, kib in rows[:limit]:
        print(f"    {kib:6d} KiB  {os.path.basename(name) if name.startswith('/') else name}")
    rest = rows[limit:]
    if rest:
        print(f"    {sum(k for _, k in rest):6d} KiB  {len(rest)} more mappings")


# ---- the figures ----------------------------------------------------------------------


def binary_size(supervisor):
    stripped = os.path.join(tempfile.mkdtemp(prefix="footprint-strip-"), "supervisor")
    shutil.copy(supervisor, stripped)
    subprocess.run(["strip", stripped], check=True)
    size = os.path.getsize(stripped)
    shutil.rmtree(os.path.dirname(stripped), ignore_errors=True)
    print(f"binary: {os.path.getsize(supervisor) / 1e6:.2f} MB as built, {size / 1e6:.2f} MB stripped (aim <= 3 MB)")
    return size


def local_mode(supervisor, env):
    """Converge from scratch (timed, peak RSS), then idle memory."""
    work = tempfile.mkdtemp(prefix="footprint-local-")
    app_id = random.randint(100000, 999999)
    daemon = None
    try:
        daemon = Daemon(supervisor, work, env["DOCKER_HOST"], localMode=True, recheckInterval=30000)
        daemon.wait_ping()
        reset_peak(daemon.proc.pid)
        started = time.monotonic()
        daemon.call("POST", "/v2/local/target-state", json.dumps(local_target(env["BUSYBOX_IMAGE"], "fp-1", app_id)).encode())
        converged = daemon.wait_applied("fp-1") - started
        peak = status_kib(daemon.proc.pid, "VmHWM")
        time.sleep(SETTLE_SECONDS)
        print(f"local mode: converge {SERVICES} services from scratch {converged:.2f} s; "
              f"peak RSS while applying {mib(peak)}")
        print_memory(f"local mode, idle, {SERVICES} services running", daemon.proc.pid)
        print_breakdown(daemon.proc.pid)
        return converged
    finally:
        if daemon:
            daemon.stop()
        remove_app(app_id)
        shutil.rmtree(work, ignore_errors=True)


def compose_up(env, work):
    lines = ["version: '2.1'", "services:"]
    for i in range(1, SERVICES + 1):
        lines += [f"  svc{i}:", f"    image: {env['BUSYBOX_IMAGE']}", f"    command: {json.dumps(COMMAND)}",
                  "    restart: always"]
    path = os.path.join(work, "docker-compose.yml")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    project = f"footprint{random.randint(100000, 999999)}"
    started = time.monotonic()
    subprocess.run(["docker-compose", "-f", path, "-p", project, "up", "-d"], capture_output=True, check=True)
    elapsed = time.monotonic() - started
    subprocess.run(["docker-compose", "-f", path, "-p", project, "down", "-v"], capture_output=True)
    return elapsed


def cloud_managed(supervisor, env, cpu_window):
    """A managed device at the default poll interval: idle memory, CPU per
    hour, peak RSS while a second release applies and while a chatty
    service's lines stream to the cloud."""
    work = tempfile.mkdtemp(prefix="footprint-cloud-")
    app_id, app_uuid = random.randint(100000, 999999), uuidlib.uuid4().hex
    tags, daemon = [], None

    def fleet(commit, rid, command):
        image = f"reconcile-test/footprint-{app_id}:r{rid}"
        docker("tag", env["BUSYBOX_IMAGE"], image)
        tags.append(image)
        services = {f"s{i}": {"id": i, "image_id": rid * 100 + i, "image": image, "environment": {"R": str(rid)},
                              "labels": {}, "composition": {"command": command(i), "tty": False}}
                    for i in range(1, SERVICES + 1)}
        return {app_uuid: {"id": app_id, "name": "footprint", "class": "fleet", "is_host": False,
                           "releases": {commit: {"id": rid, "services": services}}}}

    try:
        with FakeCloud() as cloud:
            # No poll interval in the target's config: the default (15 min).
            commit1 = uuidlib.uuid4().hex
            cloud.set_target(apps=fleet(commit1, 1, lambda i: COMMAND), config={})
            cloud.provisioning_key("footprint-provisioning")
            config_json = os.path.join(work, "config.json")
            with open(config_json, "w") as f:
                json.dump({"apiEndpoint": cloud.url, "apiKey": "footprint-provisioning", "applicationId": app_id,
                           "deviceType": "generic-amd64", "bootstrapRetryDelay": 1000}, f)
            daemon = Daemon(supervisor, work, env["DOCKER_HOST"], configJsonPath=config_json,
                            appsJsonPath=os.path.join(work, "apps.json"))
            daemon.wait_applied(commit1)
            time.sleep(SETTLE_SECONDS)
            pid = daemon.proc.pid
            print_memory(f"cloud-managed, idle, {SERVICES} services running", pid)
            print_breakdown(pid)

            before, t0 = cpu_seconds(pid), time.monotonic()
            seq = cloud.requests()[-1]["seq"] if cloud.requests() else 0
            time.sleep(cpu_window)
            used, elapsed = cpu_seconds(pid) - before, time.monotonic() - t0
            calls = len(cloud.requests(seq))
            print(f"cloud-managed, idle: CPU {used:.2f} s in {elapsed:.0f} s = {used * 3600 / elapsed:.1f} s per hour "
                  f"({calls} cloud requests in the window; default poll interval 15 min)")

            # A 10-service release, every container recreated; one of them
            # prints 20,000 lines as soon as it starts.
            reset_peak(pid)
            commit2 = uuidlib.uuid4().hex
            cloud.set_target(apps=fleet(commit2, 2, lambda i: CHATTY if i == 1 else COMMAND), config={})
            daemon.call("POST", "/v1/update", b"{}")
            daemon.wait_applied(commit2)
            print(f"cloud-managed: peak RSS while applying a {SERVICES}-service release: "
                  f"{mib(status_kib(pid, 'VmHWM'))}")
            reset_peak(pid)
            # Until the lines stop coming (the last one, or the rest counted
            # in a suppression warning when the buffers were full).
            def chatty_lines():
                return [r["line"].get("message", "") for r in cloud.logs() if isinstance(r.get("line"), dict)]
            deadline, seen, quiet_since = time.monotonic() + 120, -1, time.monotonic()
            while time.monotonic() < deadline:
                messages = chatty_lines()
                got = sum("GET /api/v1/items/" in m for m in messages)
                if got != seen:
                    seen, quiet_since = got, time.monotonic()
                elif time.monotonic() - quiet_since > 5:
                    break
                time.sleep(0.5)
            suppressed = sum(int(n) for m in messages for n in re.findall(r"Suppressed (\d+) message", m))
            print(f"cloud-managed: peak RSS while streaming logs (a service printing 20,000 lines as fast as it "
                  f"can; {seen} reached the cloud, {suppressed} counted in suppression warnings): "
                  f"{mib(status_kib(pid, 'VmHWM'))}")
    finally:
        if daemon:
            daemon.stop()
        remove_app(app_id)
        for tag in tags:
            docker("rmi", tag, check=False)
        shutil.rmtree(work, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("supervisor")
    parser.add_argument("testenv")
    parser.add_argument("--cpu-window", type=int, default=120, help="seconds of idle CPU measured")
    parser.add_argument("--parts", default="size,local,compose,cloud",
                        help="comma-separated: size, local, compose, cloud")
    args = parser.parse_args()
    env = dict(line.strip().split("=", 1) for line in open(os.path.join(args.testenv, "env")) if "=" in line)

    parts = args.parts.split(",")
    if "size" in parts:
        binary_size(args.supervisor)
    ours = local_mode(args.supervisor, env) if "local" in parts else None
    if ours is not None and "compose" in parts and not shutil.which("docker-compose"):
        print("converge next to docker-compose: skipped, docker-compose is not installed")
    elif ours is not None and "compose" in parts:
        work = tempfile.mkdtemp(prefix="footprint-compose-")
        try:
            theirs = compose_up(env, work)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        print(f"converge {SERVICES} services from scratch: supervisor {ours:.2f} s, "
              f"docker-compose up -d {theirs:.2f} s ({ours / theirs:.2f}x; aim 0.7x)")
    if "cloud" in parts:
        cloud_managed(args.supervisor, env, args.cpu_window)


if __name__ == "__main__":
    main()

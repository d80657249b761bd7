#!/usr/bin/env python3
"""End-to-end: the real balena CLI against the daemon in local mode, as a
new user runs it: `balena push 127.0.0.1 --nolive`, a second push after a
change, `balena push 127.0.0.1` with live push (a changed file reaches the
running container; a changed Dockerfile rebuilds the service) and
`balena device logs 127.0.0.1`.

usage: test_balena_cli.py SUPERVISOR TESTENV_DIR
Runs only when BALENA_CLI names a balena executable (balena-cli 20.2.10 was
checked: `npm install balena-cli@20.2.10`, node 20); without it the test
says it is skipped and exits 0. The CLI reaches the supervisor on port
48484 and the device's engine on TCP port 2375, both fixed for a local-mode
push: both must be free on 127.0.0.1 (the test forwards 2375 to the engine's
unix socket itself). Needs the docker_env fixture; prints one line per check
and a closing 'N passed, N failed' line.
"""
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

from e2e_common import app_containers, check, docker, refuse_foreign_engine, remove_app_objects, remove_work_dir, summary, wait_until  # noqa: E402
from e2e_daemon import Daemon  # noqa: E402

LABEL = "e2e.balena_cli"
CLI = os.environ.get("BALENA_CLI", "")
SUPERVISOR_PORT, ENGINE_PORT = 48484, 2375  # the CLI's, not configurable for a push
APP_ID, COMMIT = 1, "10ca12e1ea5e"  # what the CLI puts in every local-mode target
RUN = random.randint(100000, 999999)
WEB, WORKER = f"web{RUN}", f"worker{RUN}"  # service names; the CLI tags local_<service>:latest
LOOP = "trap 'exit 0' TERM; while true; do {body}; sleep 1; done"


class EngineForwarder:
    """127.0.0.1:2375 to the engine's unix socket: the CLI builds over TCP,
    as on a balenaOS development image. A byte pump, so the build stream and
    the hijacked exec connections livepush opens pass as they are."""

    def __init__(self, socket_path):
        self.socket_path = socket_path
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", ENGINE_PORT))
        self.listener.listen(64)
        self.stopping = False
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while not self.stopping:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            engine = socket.socket(socket.AF_UNIX)
            try:
                engine.connect(self.socket_path)
            except OSError:
                client.close()
                continue
            for source, sink in ((client, engine), (engine, client)):
                threading.Thread(target=self.pump, args=(source, sink), daemon=True).start()

    @staticmethod
    def pump(source, sink):
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                sink.sendall(data)
        except OSError:
            pass
        try:
            sink.shutdown(socket.SHUT_WR)  # pass the half-close on: docker's attach relies on it
        except OSError:
            pass

    def stop(self):
        self.stopping = True
        self.listener.close()


class CliRun:
    """A CLI command running in the background, its output kept line by line."""

    def __init__(self, args, cwd, env):
        self.lines, self.lock = [], threading.Lock()
        self.proc = subprocess.Popen([CLI, *args], cwd=cwd, env=env, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True, start_new_session=True)
        threading.Thread(target=self.read, daemon=True).start()

    def read(self):
        for line in self.proc.stdout:
            with self.lock:
                self.lines.append(line.rstrip("\n"))

    def output(self):
        with self.lock:
            return "\n".join(self.lines)

    def wait_for(self, what, predicate, timeout=120):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if predicate(self.output()):
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.5)
        raise AssertionError(f"{what}: not within {timeout}s (exit {self.proc.poll()}); the CLI said:\n"
                             + self.output()[-3000:])

    def interrupt(self):
        """Ctrl-C, as a user ends a live session (the CLI then removes its
        intermediate containers); killed if it does not end."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGINT)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def port_taken(port):
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def write_project(root, message):
    """Two services built FROM the test environment's busybox (no pull):
    web prints /app/hello.txt every second, worker says it started."""
    os.makedirs(os.path.join(root, WEB), exist_ok=True)
    os.makedirs(os.path.join(root, WORKER), exist_ok=True)
    with open(os.path.join(root, "docker-compose.yml"), "w") as f:
        f.write(f"version: '2.1'\nservices:\n  {WEB}:\n    build: ./{WEB}\n  {WORKER}:\n    build: ./{WORKER}\n")
    write_web_dockerfile(root)
    write_hello(root, message)
    worker_loop = "echo worker started; " + LOOP.format(body="true")
    with open(os.path.join(root, WORKER, "Dockerfile"), "w") as f:
        f.write(f"FROM {BUSYBOX}\nCMD {json.dumps(['sh', '-c', worker_loop])}\n")


def write_web_dockerfile(root, prefix=""):
    web_loop = LOOP.format(body=f"{prefix}cat /app/hello.txt")
    with open(os.path.join(root, WEB, "Dockerfile"), "w") as f:
        f.write(f"FROM {BUSYBOX}\nCOPY hello.txt /app/hello.txt\nCMD {json.dumps(['sh', '-c', web_loop])}\n")


def write_hello(root, message):
    with open(os.path.join(root, WEB, "hello.txt"), "w") as f:
        f.write(message + "\n")


def containers():
    """service name -> (container id, image id) of the CLI's app."""
    return app_containers(APP_ID)


def file_in(cid, path):
    return docker("exec", cid, "cat", path, check=False)


def built_images():
    """Every image the CLI built for this run's services (it labels them),
    dangling ones of earlier pushes included."""
    ids = set()
    for service in (WEB, WORKER):
        ids.update(docker("images", "-a", "-q", "--no-trunc", "--filter",
                          f"label=io.resin.local.service={service}").split())
    return ids


def cleanup(images):
    remove_app_objects(APP_ID)
    images |= built_images()
    if images:
        docker("rmi", "-f", *sorted(images), check=False)


def main():
    if not CLI:
        print(f"{LABEL}: SKIPPED: BALENA_CLI is not set (the path of a balena CLI executable, e.g. "
              "/tmp/balena-cli/node_modules/.bin/balena after `npm install balena-cli@20.2.10`); nothing was run")
        return 0
    if not os.access(CLI, os.X_OK):
        print(f"BALENA_CLI={CLI} is not an executable")
        print(f"{LABEL}: 0 passed, 1 failed")
        return 1
    taken = [port for port in (SUPERVISOR_PORT, ENGINE_PORT) if port_taken(port)]
    if taken:
        print(f"127.0.0.1 port(s) {taken} are in use: the CLI needs 48484 (supervisor) and 2375 (engine)")
        print(f"{LABEL}: 0 passed, 1 failed")
        return 1
    if not ENV["DOCKER_HOST"].startswith("unix://"):
        print(f"DOCKER_HOST={ENV['DOCKER_HOST']}: the test forwards TCP 2375 to a unix socket only")
        print(f"{LABEL}: 0 passed, 1 failed")
        return 1
    if refuse_foreign_engine(LABEL):
        return 1
    work = tempfile.mkdtemp(prefix="supervisor-e2e-cli-")
    project = os.path.join(work, "project")
    # The CLI's settings and caches in the work directory, never the user's.
    env = {**os.environ, "BALENARC_NO_ANALYTICS": "1", "BALENARC_DATA_DIRECTORY": os.path.join(work, "balena")}
    daemon = Daemon(SUPERVISOR, ENV["DOCKER_HOST"], os.path.join(work, "device"), SUPERVISOR_PORT)
    forwarder = EngineForwarder(ENV["DOCKER_HOST"][len("unix://"):])
    images, state, live = set(), {}, {}
    print(f"{LABEL}: {subprocess.run([CLI, 'version'], capture_output=True, text=True, env=env).stdout.strip()}")
    try:
        daemon.start()

        def push(*args, timeout=300):
            run = subprocess.run([CLI, "push", "127.0.0.1", *args], cwd=project, env=env, capture_output=True,
                                 text=True, timeout=timeout)
            assert run.returncode == 0, f"exit {run.returncode}:\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}"
            images.update(built_images())
            return run.stdout

        def first_push():
            write_project(project, "hello v1")
            out = push("--nolive", "--detached")
            assert f"Successfully tagged local_{WEB}:latest" in out, out[-2000:]
            daemon.wait_applied(COMMIT, 2)
            now = containers()
            assert set(now) == {WEB, WORKER}, now
            assert now[WEB][1] == docker("image", "inspect", "--format", "{{.Id}}", f"local_{WEB}:latest")
            assert file_in(now[WEB][0], "/app/hello.txt") == "hello v1"
            state["first"] = now
        check("balena push --nolive builds on the device's engine and the daemon runs both services", first_push)

        def second_push():
            write_hello(project, "hello v2")
            push("--nolive", "--detached")
            wait_until("web on its rebuilt image",
                       lambda: containers().get(WEB, (None, state["first"][WEB][1]))[1] != state["first"][WEB][1])
            daemon.wait_applied(COMMIT, 2)
            after = containers()
            assert file_in(after[WEB][0], "/app/hello.txt") == "hello v2"
            assert after[WORKER] == state["first"][WORKER], "worker, unchanged, was recreated"
        check("a second push after a change recreates the changed service only", second_push)

        def live_push():
            write_hello(project, "hello v3")
            live["run"] = run = CliRun(["push", "127.0.0.1"], project, env)
            run.wait_for("the live session", lambda out: "Device state settled" in out, timeout=300)
            daemon.wait_applied(COMMIT, 2)
            web = containers()[WEB][0]
            assert file_in(web, "/app/hello.txt") == "hello v3"
            # A file changed: livepush copies it into the running container
            # and restarts it (through the engine), no rebuild, no new container.
            write_hello(project, "hello v4 live")
            run.wait_for("the file change synced", lambda out: "Restarting service" in out, timeout=60)
            wait_until("the changed file in the container", lambda: file_in(web, "/app/hello.txt") == "hello v4 live")
            run.wait_for("the service's output after the sync", lambda out: f"[{WEB}] hello v4 live" in out, 60)
            assert containers()[WEB][0] == web, "the live change recreated the container"
            live["web"] = web
        check("balena push (live): a changed file reaches the running container", live_push)

        def live_rebuild():
            # The Dockerfile changed: the CLI rebuilds the image, removes the
            # container itself and posts the target again; the daemon starts
            # the service anew, and livepush follows the new container.
            run = live["run"]
            write_web_dockerfile(project, prefix="echo rebuilt; ")
            run.wait_for("the rebuild", lambda out: f"[{WEB}] rebuilt" in out, timeout=180)
            # (livepush restarts the container on a sync: it may be between
            # stop and start when asked.)
            web = wait_until("the rebuilt web container running", lambda: containers().get(WEB, (None,))[0])
            assert web != live["web"], "the rebuild kept the old container"
            # The CLI takes up the new container once it sees the device
            # settled (it asks every second); a change before that would go
            # to the removed one.
            time.sleep(3)
            write_hello(project, "hello v6 live")
            wait_until("the change after the rebuild in the new container",
                       lambda: file_in(containers().get(WEB, ("none",))[0], "/app/hello.txt") == "hello v6 live",
                       timeout=90)
            run.interrupt()
            images.update(built_images())
            # The CLI removing the old container while the daemon kills it is
            # not a failure (the engine's 409 "already in progress" is gone).
            failed = [line for line in daemon.logs().splitlines() if "step-failed" in line and "action=kill" in line]
            assert not failed, "\n".join(failed)
        check("balena push (live): a changed Dockerfile rebuilds the service and live sync follows it", live_rebuild)

        def device_logs():
            logs = CliRun(["device", "logs", "127.0.0.1"], work, env)
            try:
                logs.wait_for("the log stream", lambda out: "Streaming logs" in out, timeout=60)
                status, body = daemon.request("POST", f"/v2/applications/{APP_ID}/restart-service",
                                              json.dumps({"serviceName": WORKER}))
                assert status == 200, (status, body)
                logs.wait_for("the restart's lines", lambda out: f"[{WORKER}] worker started" in out, timeout=60)
                out = logs.output()
                for line in (f"Killing service '{WORKER} local_{WORKER}'", f"Started service '{WORKER} local_{WORKER}'"):
                    assert line in out, f"{line!r} not in:\n{out[-3000:]}"
                assert f"[{WEB}] rebuilt" in out, "no output of the running web service"
            finally:
                logs.interrupt()
        check("balena device logs shows the services' output and the supervisor's lines", device_logs)
    finally:
        if "run" in live:
            live["run"].interrupt()
        daemon.stop()
        forwarder.stop()
        cleanup(images)
        remove_work_dir(work)
    return summary(LABEL)


if __name__ == "__main__":
    SUPERVISOR, TESTENV = sys.argv[1], sys.argv[2]
    ENV = dict(line.strip().split("=", 1) for line in open(os.path.join(TESTENV, "env")) if "=" in line)
    BUSYBOX = ENV["BUSYBOX_IMAGE"]
    sys.exit(main())

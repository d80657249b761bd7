#!/usr/bin/env python3
"""End-to-end: the balena local development loop. The daemon in local mode is
driven with the requests the balena CLI sends for `balena push <device>`
(shared/reference/local-api.md, Local-mode endpoints), the images rebuilt
under the same names between pushes, as the CLI builds them on the device's
engine; and a service that uses the supervisor API on supervisor0, reaching
it at the address and with the key the supervisor gave it.

usage: test_local_dev.py SUPERVISOR TESTENV_DIR
Needs the docker_env fixture (scripts/testenv/up.sh; down.sh removes
supervisor0 when up.sh found none). Prints one line per check and a closing
'N passed, N failed' line.
"""
import json
import os
import random
import shutil
import sys
import tempfile
import threading
import time
import urllib.request

from e2e_common import app_containers, check, docker, free_port, refuse_foreign_engine, remove_app_objects, summary, wait_until  # noqa: E402
from e2e_daemon import Daemon  # noqa: E402

SUPERVISOR, TESTENV = sys.argv[1], sys.argv[2]
ENV = dict(line.strip().split("=", 1) for line in open(os.path.join(TESTENV, "env")) if "=" in line)
APP_ID = random.randint(100000, 999999)  # this run's app: everything it creates carries it
# The CLI names the images it builds local_image_<service>; the test prefix
# lets down.sh find them whatever happens here.
ALPHA_IMAGE = f"{ENV['IMAGE_PREFIX']}/local_image_alpha_{APP_ID}:latest"
BETA_IMAGE = f"{ENV['IMAGE_PREFIX']}/local_image_beta_{APP_ID}:latest"
COMMAND = ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"]


def containers():
    """service name -> (container id, image id) of this run's containers."""
    return app_containers(APP_ID, stopped_too=True)


def build(image, revision):
    """An image under `image` with content of its own, as `balena push` builds
    one: the same name, a new image id each time."""
    cid = docker("create", ENV["BUSYBOX_IMAGE"])
    try:
        docker("commit", "--change", f"ENV REVISION={revision}", cid, image)
    finally:
        docker("rm", "-f", cid, check=False)
    return docker("image", "inspect", "--format", "{{.Id}}", image)


def cli_target(name, config):
    """The body `balena push` posts (its releaseId a string, as the CLI's)."""
    def service(sid, service_name, image, **compose):
        return {"serviceName": service_name, "serviceId": sid, "imageId": sid, "image": image,
                "environment": {}, "labels": compose.pop("labels", {}), "running": True,
                "command": COMMAND, **compose}
    return {"local": {"name": name, "config": config, "apps": {str(APP_ID): {
        "name": "localapp", "commit": "localcommit", "releaseId": "1",
        "services": {"1": service(1, "alpha", ALPHA_IMAGE, labels={"io.balena.features.supervisor-api": "1"}),
                     "2": service(2, "beta", BETA_IMAGE)},
        "volumes": {}, "networks": {}}}}, "force": False}


def supervisor0():
    """(subnet, gateway, attached container ids) of supervisor0, None when absent."""
    found = json.loads(docker("network", "inspect", "supervisor0", check=False) or "[]")
    if not found:
        return None
    network = found[0]
    config = network["IPAM"]["Config"][0]
    return config.get("Subnet"), config.get("Gateway"), set(network.get("Containers") or {})


def nc_request(path, destination):
    """A shell line that GETs path from destination ("HOST PORT") with busybox
    nc and prints the answer. busybox nc quits as soon as its input ends,
    often before the answer arrives, so the input stays open until the server
    closes the connection (HTTP/1.0: after its answer) or 5 s pass."""
    return (f'(printf "GET {path} HTTP/1.0\\r\\n\\r\\n"; sleep 5) | '
            f'busybox nc -w 5 {destination}')


def api_from_service(cid):
    """What the service's own key reads of /v2/applications/state, asked from
    inside the container at the address the supervisor gave it; None while
    nothing answers there."""
    # busybox nc (the test image's static wget cannot resolve even an address).
    script = nc_request('/v2/applications/state?apikey=$BALENA_SUPERVISOR_API_KEY',
                        '"$BALENA_SUPERVISOR_HOST" "$BALENA_SUPERVISOR_PORT"')
    answer = docker("exec", cid, "busybox", "sh", "-c", script, check=False)
    head, _, body = answer.replace("\r\n", "\n").partition("\n\n")
    return json.loads(body) if head.startswith("HTTP/1.1 200") else None


def ping_from(cid, address, port):
    """What GET /ping at address:port answers inside a container ("" when
    nothing does)."""
    script = nc_request("/ping", f"{address} {port}")
    return docker("exec", cid, "busybox", "sh", "-c", script, check=False)


def environment(cid):
    env = json.loads(docker("inspect", "--format", "{{json .Config.Env}}", cid))
    return dict(entry.split("=", 1) for entry in env)


def wait_for(what, predicate, timeout=60, daemon=None):
    """wait_until, with the daemon's last log lines in the failure."""
    try:
        return wait_until(what, predicate, timeout)
    except AssertionError as error:
        raise AssertionError(f"{error}" + ("\n" + daemon.logs()[-3000:] if daemon else "")) from None


def cleanup():
    remove_app_objects(APP_ID)
    docker("rmi", ALPHA_IMAGE, BETA_IMAGE, check=False)


def main():
    if refuse_foreign_engine("e2e"):
        return 1
    work = tempfile.mkdtemp(prefix="supervisor-e2e-local-")
    daemon = Daemon(SUPERVISOR, ENV["DOCKER_HOST"], os.path.join(work, "device"), free_port())
    state = {}
    try:
        state["alpha1"] = build(ALPHA_IMAGE, 1)
        build(BETA_IMAGE, 1)
        daemon.start()

        def push(revision):
            # The CLI's order: the version, the device, the current target
            # (whose name and config it keeps), then the new target.
            status, body = daemon.get("/v2/version")
            assert status == 200 and json.loads(body)["version"], (status, body)
            status, body = daemon.get("/v2/local/device-info")
            assert status == 200 and json.loads(body)["info"]["arch"], (status, body)
            status, body = daemon.get("/v2/local/target-state")
            assert status == 200, (status, body)
            current = json.loads(body)["state"]["local"]
            status, body = daemon.post_target(cli_target(current["name"], current["config"]))
            assert status == 200 and json.loads(body) == {"status": "success", "message": "OK"}, (status, body)
            return daemon.wait_applied("localcommit", 2)

        def first_push():
            push(1)
            state["release1"] = containers()
            assert state["release1"]["alpha"][1] == state["alpha1"], state["release1"]
        check("a first push brings the services up", first_push)

        def api_service():
            subnet, gateway, attached = wait_for("supervisor0", supervisor0)
            assert (subnet, gateway) == ("10.114.104.0/25", "10.114.104.1"), (subnet, gateway)
            alpha, beta = state["release1"]["alpha"][0], state["release1"]["beta"][0]
            assert alpha in attached and beta not in attached, (attached, alpha, beta)
            env = environment(alpha)
            assert env.get("BALENA_SUPERVISOR_ADDRESS") == f"http://10.114.104.1:{daemon.port}", env
            assert env.get("BALENA_SUPERVISOR_HOST") == "10.114.104.1", env
            assert env.get("BALENA_APP_NAME") == env.get("RESIN_APP_NAME") == "localapp", env
        check("a service with io.balena.features.supervisor-api runs on supervisor0 with its address", api_service)

        def api_on_gateway():
            # The daemon listens on loopback; a second listener on supervisor0
            # serves the services on it, and only what arrives through it
            # (SO_BINDTODEVICE): beta, on its app's network only, sends to the
            # same host address through another bridge and gets no answer.
            apps = wait_for("the API from inside alpha", lambda: api_from_service(state["release1"]["alpha"][0]),
                            timeout=30, daemon=daemon)
            assert any(app.get("appId") == APP_ID for app in apps.values()), apps
            answer = ping_from(state["release1"]["beta"][0], "10.114.104.1", daemon.port)
            assert answer == "", f"a container off supervisor0 reached the API there: {answer!r}"
        check("the service reaches the API at BALENA_SUPERVISOR_ADDRESS with its key, others there do not",
              api_on_gateway)

        def second_push():
            alpha2 = build(ALPHA_IMAGE, 2)  # rebuilt under the same name; beta unchanged
            assert alpha2 != state["alpha1"]
            push(2)
            after = wait_for("alpha on its rebuilt image",
                             lambda: (lambda c: c if c.get("alpha", (None, None))[1] == alpha2 else None)(containers()))
            assert after["alpha"][0] != state["release1"]["alpha"][0], "alpha was not recreated"
            assert after["beta"] == state["release1"]["beta"], "beta, unchanged, was recreated"
            state["release2"] = after
        check("a second push of a rebuilt image recreates its service, and only it", second_push)

        def network_comes_back():
            # A supervisor0 this test environment brought (up.sh found none) is
            # the tests' to remove; one found there (a supervisor's, say an
            # earlier run's) only while nothing but this run's containers uses it.
            alpha = state["release2"]["alpha"][0]
            if not os.path.exists(os.path.join(TESTENV, "supervisor0.ours")):
                ours = {cid for cid, _ in containers().values()}
                foreign = (supervisor0() or (None, None, set()))[2] - ours
                assert not foreign, f"supervisor0 is in use by containers not of this test: {sorted(foreign)}"
            docker("network", "disconnect", "-f", "supervisor0", alpha)
            docker("network", "rm", "supervisor0")
            subnet, gateway, _ = wait_for("supervisor0 made anew", supervisor0)
            assert (subnet, gateway) == ("10.114.104.0/25", "10.114.104.1"), (subnet, gateway)
            # alpha, no longer on it, is recreated onto it.
            attached = wait_for("alpha on supervisor0 again",
                                lambda: (lambda n, c: c.get("alpha", (None,))[0] in n[2] if n else False)(
                                    supervisor0(), containers()), daemon=daemon)
            assert attached
            daemon.wait_applied("localcommit", 2, timeout=60)
            # The listener on the old supervisor0 heard nothing more: it binds anew.
            alpha = containers()["alpha"][0]
            apps = wait_for("the API from inside alpha on the new supervisor0", lambda: api_from_service(alpha),
                            timeout=30, daemon=daemon)
            assert any(app.get("appId") == APP_ID for app in apps.values()), apps
        check("supervisor0 removed by hand comes back, and the API service with it", network_comes_back)

        def system_lines():
            # What `balena logs <device>` shows while a service restarts.
            lines, done = [], threading.Event()

            def read():
                with urllib.request.urlopen(f"http://127.0.0.1:{daemon.port}/v2/local/logs", timeout=30) as stream:
                    while not done.is_set():
                        line = stream.readline().decode()
                        if not line:
                            return
                        lines.append(json.loads(line))
                        if lines[-1].get("message", "").startswith("Started service 'beta"):
                            done.set()
            reader = threading.Thread(target=read, daemon=True)
            reader.start()
            time.sleep(0.5)
            status, body = daemon.request("POST", f"/v2/applications/{APP_ID}/restart-service",
                                          json.dumps({"serviceName": "beta"}), {"Content-Type": "application/json"})
            assert status == 200, (status, body)
            assert done.wait(30), f"no 'Started service' line: {lines}"
            system = [line["message"] for line in lines if line.get("isSystem")]
            assert f"Killing service 'beta {BETA_IMAGE}'" in system, system
            assert f"Installing service 'beta {BETA_IMAGE}'" in system, system
            internal = [m for m in system if m.split(":")[0] in ("plan", "step", "step-done", "settled", "target")]
            assert not internal, f"internal event names in the stream: {internal}"
        check("the log stream shows balena's system lines (Killing service, Installing service)", system_lines)
    finally:
        daemon.stop()
        cleanup()
        shutil.rmtree(work, ignore_errors=True)
    return summary("e2e")


if __name__ == "__main__":
    sys.exit(main())

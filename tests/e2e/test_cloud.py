#!/usr/bin/env python3
"""End-to-end, cloud mode: the supervisor daemon as a process, a real Docker
engine, the fake balena cloud (tests/fake_cloud). The device registers with a
provisioning key, runs its fleet's release, follows new releases (poll and
instant update), reports what it runs, rides out every fault the fake can
inject, runs its stored release from a cold start with the cloud down,
refuses a bad target, and keeps config.json whole through kill -9.

usage: test_cloud.py SUPERVISOR TESTENV_DIR
Needs the docker_env fixture (scripts/testenv/up.sh). Refuses to run when the
engine holds supervised containers it did not create. Prints one line per
test and a closing 'N passed, N failed' line.
"""
import json
import os
import random
import shutil
import sqlite3
import sys
import tempfile
import time
import urllib.error
import urllib.request

import e2e_daemon  # noqa: E402
from e2e_common import app_container_infos, check, check_no_unexpected_calls, docker, free_port, refuse_foreign_engine, remove_app_objects, remove_work_dir, summary, wait_until  # noqa: E402
import uuid as uuidlib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "fake_cloud"))
from harness import FakeCloud  # noqa: E402

SUPERVISOR, TESTENV = sys.argv[1], sys.argv[2]
ENV = dict(line.strip().split("=", 1) for line in open(os.path.join(TESTENV, "env")) if "=" in line)
BUSYBOX = ENV["BUSYBOX_IMAGE"]
REGISTRY_BUSYBOX = ENV["REGISTRY_BUSYBOX_IMAGE"]
APP_ID = random.randint(100000, 999999)  # this run's fleet: everything it creates carries it
APP_UUID = uuidlib.uuid4().hex
PROVISIONING_KEY = "e2e-provisioning-key"
LOCAL_KEY = "e2e_secret_key"
COMMAND = ["sh", "-c", "trap 'exit 0' TERM; while true; do echo tick from $ROLE; sleep 1; done"]
# BALENA_ wins over RESIN_, and the (fake) API raises only RESIN_ values
# to its 10-minute minimum: a short interval for the tests.
POLL_CONFIG = {"BALENA_SUPERVISOR_POLL_INTERVAL": "2000"}
AUTH = {"Authorization": f"Bearer {LOCAL_KEY}"}


def containers():
    """name -> (id, running) of this run's containers."""
    return {info["Name"].lstrip("/"): (info["Id"], info["State"]["Running"])
            for info in app_container_infos(APP_ID, stopped_too=True)}


def service(sid, name, image=BUSYBOX, level="1", rid=0):
    # Image ids are unique per release in a real fleet (the cloud keys its
    # image rows by them).
    return {"id": sid, "image_id": rid * 100 + sid, "image": image, "environment": {"ROLE": name, "LEVEL": level},
            "labels": {}, "composition": {"command": COMMAND}}


def release(commit, rid, services):
    return {commit: {"id": rid, "services": services}}


def fleet(releases):
    return {APP_UUID: {"id": APP_ID, "name": "e2e-fleet", "class": "fleet", "is_host": False,
                       "releases": releases}}


def new_commit():
    return uuidlib.uuid4().hex


TAGS = []


def release_image(rid):
    """A local image of its own for release `rid`: in a real fleet every
    release has its own image locations, and the cloud refuses a report in
    which one location stands for images of several releases."""
    tag = f"reconcile-test/cloud-e2e-{APP_ID}:r{rid}"
    docker("tag", BUSYBOX, tag)
    TAGS.append(tag)
    return tag


def two_services(level, rid, side_image=None):
    image = release_image(rid)
    return {"main": service(1, "main", image=image, level=level, rid=rid),
            "side": service(2, "side", image=side_image or image, level=level, rid=rid)}


class Daemon(e2e_daemon.Daemon):
    """The daemon of a managed device: balena's config.json names the cloud."""

    def __init__(self, work, cloud_url, port=None, balena_extra=None):
        self.work = work
        self.config_json = os.path.join(work, "config.json")
        super().__init__(SUPERVISOR, ENV["DOCKER_HOST"], os.path.join(work, "data"), port or free_port(),
                         local_mode=None, api_key=LOCAL_KEY, config_path=os.path.join(work, "supervisor.json"),
                         log_path=os.path.join(work, "daemon.log"), auth=AUTH, configJsonPath=self.config_json,
                         appsJsonPath=os.path.join(work, "apps.json"))
        balena = {"apiEndpoint": cloud_url, "apiKey": PROVISIONING_KEY, "applicationId": APP_ID,
                  "deviceType": "generic-amd64", "bootstrapRetryDelay": 1000, **(balena_extra or {})}
        with open(self.config_json, "w") as f:
            json.dump(balena, f)

    def balena_config(self):
        with open(self.config_json) as f:
            return json.load(f)

    def request_plain(self, method, path):
        """Without the API key."""
        try:
            with urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{self.port}{path}",
                                                               method=method), timeout=10) as resp:
                return resp.status, resp.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def update(self):
        status, body = self.request("POST", "/v1/update", "{}", {"Content-Type": "application/json"})
        assert status in (202, 204), (status, body)

    def status(self):
        status, body = self.get("/v2/state/status")
        return json.loads(body) if status == 200 else None

    def wait_applied(self, commit, services=2, timeout=120, poke=None):
        deadline = time.time() + timeout
        last = None
        while time.time() < deadline:
            last = self.status()
            if last:
                running = [c for c in last["containers"] if c["status"] == "Running"]
                if last["appState"] == "applied" and last.get("release") == commit and len(running) == services:
                    return last
            if poke:
                poke()
            time.sleep(0.5)
        raise AssertionError(f"{commit} not applied within {timeout}s: {last}\n" + self.logs()[-4000:])


def report_shows(cloud, uuid, commit, services=("main", "side")):
    """The last accepted report that carries apps shows `commit` done with
    every service Running (cloud-protocol §5.3)."""
    for body in reversed(cloud.reports()):
        device = body.get(uuid, {})
        if "apps" not in device:
            continue
        app = device["apps"].get(APP_UUID, {})
        rel = app.get("releases", {}).get(commit, {})
        return (app.get("release_uuid") == commit and rel.get("update_status") == "done"
                and all(rel.get("services", {}).get(s, {}).get("status") == "Running" for s in services)
                and all(rel["services"][s]["image"] for s in services))
    return False


def cleanup():
    remove_app_objects(APP_ID)
    docker("rmi", REGISTRY_BUSYBOX, check=False)
    for tag in TAGS:
        docker("rmi", tag, check=False)


def main():
    if refuse_foreign_engine("e2e cloud"):
        return 1
    work = tempfile.mkdtemp(prefix="supervisor-e2e-cloud-")
    state = {}
    try:
        with FakeCloud() as cloud:
            commit_a = new_commit()
            cloud.set_target(apps=fleet(release(commit_a, 1, two_services("a", 1))), config=POLL_CONFIG)
            cloud.provisioning_key(PROVISIONING_KEY)
            daemon = Daemon(os.path.join(work, "device"), cloud.url)
            try:
                run_device_checks(cloud, daemon, state)
            finally:
                daemon.stop()
            check("config.json survives kill -9 during its rewrite (old or new, never torn)",
                  lambda: kill9_config_json(cloud, work))

            check_no_unexpected_calls(cloud)
    finally:
        cleanup()
        remove_work_dir(work)
    return summary("e2e cloud")


def run_device_checks(cloud, daemon, state):
    def register():
        daemon.start()
        config = wait_until("config.json provisioned", lambda: (lambda c: c if "deviceId" in c else None)(
            daemon.balena_config()), timeout=60)
        assert "apiKey" not in config and config.get("registered_at"), config
        assert len(config["uuid"]) == 32 and config.get("deviceApiKey"), config
        state["uuid"] = config["uuid"]
        dev = cloud.device(state["uuid"])
        assert dev, "the cloud does not know the device"
        commit = next(iter(cloud.target_state(state["uuid"])["body"][state["uuid"]]["apps"][APP_UUID]["releases"]))
        state["commit"] = commit
        daemon.wait_applied(commit)
    check("a new device registers with the provisioning key and runs the fleet's release", register)

    def reports():
        wait_until("a report with the release", lambda: report_shows(cloud, state["uuid"], state["commit"]),
                   timeout=60)
        body = cloud.reports()[0][state["uuid"]]
        assert body.get("api_port") == daemon.port and body.get("api_secret") == LOCAL_KEY, body
        assert body.get("supervisor_version"), body
        # The supervisor's own PATCHes only: each accepted; none rejected.
        patches = [r for r in cloud.requests() if r["method"] == "PATCH" and r["path"] == "/device/v3/state"]
        assert patches and all(r["status"] == 200 for r in patches), [(r["status"], r["body"]) for r in patches]
    check("reports carry the commit and each service's status (Running, done)", reports)

    def polling():
        commit = new_commit()
        cloud.set_target(apps=fleet(release(commit, 2, two_services("b", 2))), config=POLL_CONFIG)
        # interval 2 s + up to 60 s of jitter (§4.2)
        daemon.wait_applied(commit, timeout=120)
        state["commit"] = commit
        wait_until("the report of the polled release", lambda: report_shows(cloud, state["uuid"], commit), 60)
    check("a second release is picked up by polling (SUPERVISOR_POLL_INTERVAL from the target)", polling)

    def instant():
        # A real pull from the registry, with the device's credentials.
        docker("rmi", REGISTRY_BUSYBOX, check=False)
        commit = new_commit()
        cloud.set_target(apps=fleet(release(commit, 3, two_services("c", 3, side_image=REGISTRY_BUSYBOX))),
                         config=POLL_CONFIG)
        started = time.time()
        daemon.update()
        daemon.wait_applied(commit, timeout=60)
        took = time.time() - started
        assert took < 30, f"instant update took {took:.1f}s"
        state["commit"] = commit
        wait_until("the report of the new release", lambda: report_shows(cloud, state["uuid"], commit), 60)
        print(f"     instant update (registry pull with device credentials): {took:.1f}s", flush=True)
    check("an instant update (POST /v1/update) polls at once and applies the release", instant)

    def config_vars():
        extra = {"BALENA_SUPERVISOR_PERSISTENT_LOGGING": "true", "RESIN_SUPERVISOR_LOCAL_MODE": "1"}
        cloud.set_target(config={**POLL_CONFIG, **extra})
        daemon.update()
        wait_until("persistentLogging in config.json", lambda: daemon.balena_config().get("persistentLogging"), 30)
        # Local mode: the API needs no key.
        wait_until("local mode", lambda: daemon.request_plain("GET", "/v2/state/status")[0] == 200, 30)
        with sqlite3.connect(os.path.join(daemon.data_dir, "database.sqlite")) as db:
            stored = dict(db.execute("SELECT key, value FROM config WHERE key LIKE 'SUPERVISOR_%'").fetchall())
        assert stored.get("SUPERVISOR_PERSISTENT_LOGGING") == "true" and stored.get("SUPERVISOR_LOCAL_MODE") == "1", \
            stored
        cloud.set_target(config=POLL_CONFIG)
        daemon.update()
        wait_until("local mode off", lambda: daemon.request_plain("GET", "/v2/state/status")[0] == 401, 30)
        wait_until("persistentLogging off", lambda: daemon.balena_config().get("persistentLogging") is False, 30)
        assert daemon.status()["release"] == state["commit"]
    check("config variables (local mode, persistent logging) take effect without a restart and are stored",
          config_vars)

    def instant_updates_off():
        # SUPERVISOR_INSTANT_UPDATE_TRIGGER off: POST /v1/update without force
        # is ignored with 202 "Accepted"; with force it still polls (204).
        headers = {"Content-Type": "application/json"}
        cloud.set_target(config={**POLL_CONFIG, "BALENA_SUPERVISOR_INSTANT_UPDATE_TRIGGER": "false"})
        daemon.update()
        wait_until("instant updates off", lambda: daemon.request("POST", "/v1/update", "{}", headers) ==
                   (202, "Accepted"), 30)
        # The forced poll (the next unforced one is up to a minute away)
        # brings the config that turns them on again.
        cloud.set_target(config=POLL_CONFIG)
        status, body = daemon.request("POST", "/v1/update", json.dumps({"force": True}), headers)
        assert (status, body) == (204, ""), (status, body)
        wait_until("instant updates on again", lambda: daemon.request("POST", "/v1/update", "{}", headers)[0] == 204,
                   20)
    check("with instant updates off, POST /v1/update is ignored (202) unless forced", instant_updates_off)

    def restart_no_report():
        wait_until("reports settle", lambda: report_shows(cloud, state["uuid"], state["commit"]), 30)
        time.sleep(12)  # past the 10 s report throttle: nothing pending
        seq = cloud.requests()[-1]["seq"]
        daemon.stop()
        daemon.start()
        wait_until("a poll after the restart", lambda: any(
            r["method"] == "GET" and r["path"].startswith("/device/v3/") for r in cloud.requests(seq)), 30)
        time.sleep(15)  # a report tick and a throttle window
        patches = [r for r in cloud.requests(seq) if r["method"] == "PATCH"]
        assert not patches, f"unchanged state reported after a restart: {[p['body'] for p in patches]}"
        assert not [r for r in cloud.requests(seq) if r["path"] == "/device/register"], "registered again"
    check("a restarted daemon sends no unchanged report and does not register again", restart_no_report)

    def polling_again(done):
        """done, asking for a poll every 5 s meanwhile. A drop-mid-body fault
        on a 304 (the target unchanged) cuts nothing, so that poll succeeded
        and the next one is a whole poll interval plus up to 60 s of jitter
        away, longer than these waits."""
        asked = [time.time()]

        def check():
            if done():
                return True
            if time.time() - asked[0] >= 5:
                daemon.update()
                asked[0] = time.time()
            return False
        return check

    def faults():
        ids = {name: info[0] for name, info in containers().items()}
        for kind in ("500", "401", "drop", "hang", "not-json", "drop-mid-body"):
            seq = cloud.requests()[-1]["seq"]
            cloud.fault("/device/v3/", kind, count=2, **({"seconds": 2} if kind == "hang" else {}))
            daemon.update()
            wait_until(f"{kind} faults consumed", polling_again(lambda: not cloud.control("GET", "fault")), 60,
                       interval=1)
            assert daemon.get("/v1/healthy")[0] == 200, f"unhealthy during {kind}"
            now = {name: info[0] for name, info in containers().items()}
            assert now == ids, f"containers changed during {kind}: {ids} -> {now}"
            assert all(info[1] for info in containers().values()), f"a container stopped during {kind}"
            # Recovered: a clean poll after the faults.
            wait_until(f"a clean poll after {kind}", polling_again(lambda: any(
                r["method"] == "GET" and r["path"].startswith("/device/v3/") and r["status"] in (200, 304)
                and not r["fault"] for r in cloud.requests(seq))), 60, interval=1)
        commit = new_commit()
        cloud.set_target(apps=fleet(release(commit, 4, two_services("d", 4))), config=POLL_CONFIG)
        cloud.fault("/device/v3/state", "500", count=2, method="PATCH")
        daemon.update()
        daemon.wait_applied(commit, timeout=60)
        state["commit"] = commit
        wait_until("the report after failed ones", lambda: report_shows(cloud, state["uuid"], commit), 90)
    check("cloud faults (500, 401, drop, hang, not-json, drop-mid-body): release keeps running, "
          "healthy 200, then it catches up", faults)

    def cold_start_offline():
        daemon.stop()
        cleanup_containers()
        cloud.fault("/device/v3/", "drop", count=100000)
        try:
            daemon.start()
            daemon.wait_applied(state["commit"], timeout=90)
            assert daemon.get("/v1/healthy")[0] == 200
            time.sleep(5)
            assert daemon.get("/v1/healthy")[0] == 200
        finally:
            cloud.clear_faults()
        seq = cloud.requests()[-1]["seq"] if cloud.requests() else 0
        commit = new_commit()
        cloud.set_target(apps=fleet(release(commit, 5, two_services("e", 5))), config=POLL_CONFIG)
        daemon.update()
        daemon.wait_applied(commit, timeout=90, poke=None)
        state["commit"] = commit
        wait_until("reports resume", lambda: report_shows(cloud, state["uuid"], commit), 90)
        assert any(r["method"] == "PATCH" for r in cloud.requests(seq))
    check("a cold start with the cloud down runs the stored release; polls and reports resume", cold_start_offline)

    def bad_target():
        ids = {name: info[0] for name, info in containers().items()}
        commit = new_commit()
        bad = two_services("f", 6)
        bad["main"]["environment"] = {"1 not a name": "x"}
        cloud.set_target(apps=fleet(release(commit, 6, bad)), config=POLL_CONFIG)
        daemon.update()
        wait_until("the refusal in the log", lambda: "invalid target state" in daemon.logs(), 30)
        line = [l for l in daemon.logs().splitlines() if "invalid target state" in l][-1]
        assert "/environment" in line, f"no JSON pointer in: {line}"
        time.sleep(5)
        now = {name: info[0] for name, info in containers().items()}
        assert now == ids, f"containers changed: {ids} -> {now}"
        assert daemon.status()["release"] == state["commit"]
    check("a bad target from the cloud is refused (logged with its JSON pointer), the release untouched",
          bad_target)


def cleanup_containers():
    for cid in docker("ps", "-aq", "--filter", f"label=io.balena.app-id={APP_ID}").split():
        docker("rm", "-f", cid, check=False)


def kill9_config_json(cloud, work):
    """Starts fresh devices whose config.json is large (so the rewrites take
    a while) and kills each with SIGKILL at a random moment of its start:
    generating the identity and provisioning rewrite the file. It must then
    read as the old or the new content, whole."""
    # No release: the killed devices have nothing to install.
    cloud.set_target(apps=fleet({}), config=POLL_CONFIG)
    padding = "p" * 4_000_000
    seen = {"old": 0, "new": 0}
    for i in range(12):
        dev = Daemon(os.path.join(work, f"kill9-{i}"), cloud.url, balena_extra={"padding": padding})
        dev.spawn()
        time.sleep(random.uniform(0.05, 1.5))
        dev.proc.kill()
        dev.proc.wait()
        with open(dev.config_json) as f:
            text = f.read()
        try:
            config = json.loads(text)
        except ValueError:
            raise AssertionError(f"kill {i}: config.json is torn ({len(text)} bytes)")
        assert config.get("padding") == padding, f"kill {i}: padding lost"
        assert config["apiEndpoint"] == cloud.url
        if "uuid" in config:
            seen["new"] += 1
        else:
            seen["old"] += 1
        shutil.rmtree(dev.work, ignore_errors=True)
    print(f"     kill -9 outcomes: {seen}", flush=True)


if __name__ == "__main__":
    sys.exit(main())

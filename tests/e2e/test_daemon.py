#!/usr/bin/env python3
"""End-to-end: the supervisor daemon as a process, a real Docker engine, a
real SQLite file. Drives it through its local API as the balena CLI would.

usage: test_daemon.py SUPERVISOR TESTENV_DIR
Needs the docker_env fixture (scripts/testenv/up.sh). Refuses to run when the
engine holds supervised containers it did not create: the daemon manages
every container labelled io.balena.supervised, and these tests must not
touch anything that is not theirs. Prints one line per test and a closing
'N passed, N failed' line.
"""
import json
import os
import random
import shutil
import signal
import sqlite3
import sys
import tempfile
import time
import urllib.request

import e2e_daemon  # noqa: E402
from e2e_common import app_container_infos, check, docker, free_port, refuse_foreign_engine, remove_app_objects, summary  # noqa: E402

SUPERVISOR, TESTENV = sys.argv[1], sys.argv[2]
ENV = dict(line.strip().split("=", 1) for line in open(os.path.join(TESTENV, "env")) if "=" in line)
BUSYBOX = ENV["BUSYBOX_IMAGE"]
# web's new image in release 2: its own content, pulled from the registry
# (the registry's busybox is the local one under another name: same image id).
WEB_V2 = ENV["WEB_V2_IMAGE"]
APP_ID = random.randint(100000, 999999)  # this run's app: everything it creates carries it
# A long-running service that says something every second and stops at once
# on SIGTERM.
COMMAND = ["sh", "-c", "trap 'exit 0' TERM; while true; do echo tick from $ROLE; sleep 1; done"]


def containers():
    """name -> (id, started_at, running) of this run's containers."""
    return {info["Name"].lstrip("/"): (info["Id"], info["State"]["StartedAt"], info["State"]["Running"])
            for info in app_container_infos(APP_ID, stopped_too=True)}


def Daemon(data_dir, port, **options):  # noqa: N802 (the e2e_daemon.Daemon for this engine)
    return e2e_daemon.Daemon(SUPERVISOR, ENV["DOCKER_HOST"], data_dir, port, **options)


def service(name, sid, image=BUSYBOX, strategy=None, **compose):
    labels = {"io.balena.update.strategy": strategy} if strategy else {}
    return {"serviceName": name, "serviceId": sid, "imageId": sid, "image": image, "environment": {"ROLE": name},
            "labels": labels, "command": COMMAND, **compose}


def target(commit, services, release_id):
    return {"local": {"name": "e2e", "config": {}, "apps": {str(APP_ID): {
        "name": "e2e-app", "commit": commit, "releaseId": release_id,
        "services": {str(s["serviceId"]): s for s in services},
        "volumes": {"data": {}}, "networks": {"backend": {}}}}}}


RELEASE_1 = target("release-1", [
    service("db", 1, strategy="kill-then-download", volumes=["data:/data"], networks=["backend"]),
    service("api", 2, depends_on=["db"], networks=["backend"]),
    service("web", 3, strategy="hand-over", depends_on=["api"])], 1)
# api: new environment (download-then-kill recreate); db: same config, new
# release (rename); web: new image from the registry (hand-over).
RELEASE_2 = target("release-2", [
    service("db", 1, strategy="kill-then-download", volumes=["data:/data"], networks=["backend"]),
    dict(service("api", 2, depends_on=["db"], networks=["backend"]), environment={"ROLE": "api", "LEVEL": "2"}),
    service("web", 3, image=WEB_V2, strategy="hand-over", depends_on=["api"])], 2)
# db changes configuration: kill-then-download recreates it.
RELEASE_3 = target("release-3", [
    dict(service("db", 1, strategy="kill-then-download", volumes=["data:/data"], networks=["backend"]),
         environment={"ROLE": "db", "LEVEL": "3"}),
    dict(service("api", 2, depends_on=["db"], networks=["backend"]), environment={"ROLE": "api", "LEVEL": "2"}),
    service("web", 3, image=WEB_V2, strategy="hand-over", depends_on=["api"])], 3)


def cleanup():
    remove_app_objects(APP_ID)
    docker("volume", "rm", "-f", f"{APP_ID}_data", check=False)
    docker("rmi", WEB_V2, check=False)


def main():
    if refuse_foreign_engine("e2e"):
        return 1
    work = tempfile.mkdtemp(prefix="supervisor-e2e-")
    daemon = Daemon(os.path.join(work, "device"), free_port())
    state = {}
    try:
        daemon.start()

        def install():
            started = time.time()
            status, body = daemon.post_target(RELEASE_1)
            assert status == 200, (status, body)
            daemon.wait_applied("release-1", 3)
            state["install_seconds"] = time.time() - started
            state["release1"] = containers()
            assert sorted(state["release1"]) == ["api_2_1_release-1", "db_1_1_release-1", "web_3_1_release-1"], \
                state["release1"]
            starts = {name.split("_")[0]: info[1] for name, info in state["release1"].items()}
            assert starts["db"] < starts["api"] < starts["web"], f"depends_on order not kept: {starts}"
            docker("exec", "db_1_1_release-1", "sh", "-c", "echo precious > /data/file.txt")
        check("a 3-service target comes up, dependencies first", install)

        def local_logs():
            url = f"http://127.0.0.1:{daemon.port}/v2/local/logs"
            lines = []
            with urllib.request.urlopen(url, timeout=10) as stream:
                deadline = time.time() + 10
                while time.time() < deadline:
                    line = stream.readline().decode()
                    if not line:
                        break
                    lines.append(json.loads(line))
                    if any(l.get("serviceName") == "db" and "tick from db" in l.get("message", "") for l in lines):
                        break
            assert lines and lines[0] == {"message": "Streaming logs", "isSystem": True}, lines[:1]
            container = [l for l in lines if l.get("serviceName") == "db"]
            assert container and container[0]["isStdErr"] is False and container[0]["serviceId"] == 1, lines[:5]
        check("local logs stream the services' output as NDJSON", local_logs)

        def restart():
            daemon.stop()
            daemon.start()
            daemon.wait_applied("release-1", 3)
            time.sleep(3)  # one more re-check: still nothing to do
            assert containers() == state["release1"], "a container was recreated or restarted"
        check("restarting the daemon recreates nothing", restart)

        def update():
            started = time.time()
            status, body = daemon.post_target(RELEASE_2)
            assert status == 200, (status, body)
            daemon.wait_applied("release-2", 3)
            state["update_seconds"] = time.time() - started
            after = containers()
            assert sorted(after) == ["api_2_2_release-2", "db_1_2_release-2", "web_3_2_release-2"], after
            assert after["db_1_2_release-2"][0] == state["release1"]["db_1_1_release-1"][0], "db was recreated"
            assert after["api_2_2_release-2"][0] != state["release1"]["api_2_1_release-1"][0], "api was not"
            assert docker("exec", "db_1_2_release-2", "cat", "/data/file.txt") == "precious"
            # db kept its container under the new name (updateMetadata); web,
            # a new image under hand-over, got a new one.
            assert after["web_3_2_release-2"][0] != state["release1"]["web_3_1_release-1"][0], "web was not"
        check("a new release updates each service by its strategy; volume data stays", update)

        def kill9():
            mark = len(daemon.logs())
            status, body = daemon.post_target(RELEASE_3)
            assert status == 200, (status, body)
            deadline = time.time() + 30
            while "action=kill" not in daemon.logs()[mark:] and time.time() < deadline:
                time.sleep(0.02)
            assert "action=kill" in daemon.logs()[mark:], "the update never reached its kill"
            daemon.stop(signal.SIGKILL)  # in the middle of the update
            daemon.start()
            daemon.wait_applied("release-3", 3)
            assert docker("exec", "db_1_3_release-3", "cat", "/data/file.txt") == "precious"
        check("kill -9 in the middle of an update, start again: it converges, data intact", kill9)

        def device_uuid():
            # The local API does not report the uuid (as balena's): read the store.
            db = sqlite3.connect(f"file:{os.path.join(daemon.data_dir, 'database.sqlite')}?mode=ro", uri=True)
            try:
                uuid = db.execute("SELECT value FROM config WHERE key = 'uuid'").fetchone()[0]
            finally:
                db.close()
            assert len(uuid) == 32 and all(c in "0123456789abcdef" for c in uuid), uuid
            env = json.loads(docker("inspect", "--format", "{{json .Config.Env}}", "db_1_3_release-3"))
            assert f"BALENA_DEVICE_UUID={uuid}" in env, f"the container does not carry the device uuid: {env}"
        check("with no uuid configured, containers carry the device's generated uuid", device_uuid)

        def post_json(path, body):
            return daemon.request("POST", path, json.dumps(body), {"Content-Type": "application/json"})

        def service_actions():
            before = containers()
            status, body = post_json(f"/v2/applications/{APP_ID}/stop-service", {"serviceName": "api"})
            assert status == 200, (status, body)
            assert not containers()["api_2_3_release-3"][2], "api still runs after stop-service"
            time.sleep(3)  # a re-check of the loop must not start it again
            assert not containers()["api_2_3_release-3"][2], "the apply loop started a stopped service"
            status, body = post_json(f"/v2/applications/{APP_ID}/start-service", {"serviceName": "api"})
            assert status == 200, (status, body)
            assert containers()["api_2_3_release-3"][2], "api does not run after start-service"
            status, body = post_json(f"/v2/applications/{APP_ID}/restart-service", {"serviceName": "web"})
            assert status == 200, (status, body)
            after = containers()
            assert after["web_3_3_release-3"][0] != before["web_3_3_release-3"][0], "web was not recreated"
            assert after["db_1_3_release-3"][0] == before["db_1_3_release-3"][0], "db was touched"
            status, body = post_json(f"/v2/applications/{APP_ID}/restart-service", {"serviceName": "nope"})
            assert status == 404 and "Service not found" in body, (status, body)
            daemon.wait_applied("release-3", 3, timeout=30)
        check("stop-, start- and restart-service go through the apply loop; a stopped service stays stopped",
              service_actions)

        def user_lock():
            lock_dir = os.path.join(daemon.data_dir, "locks", str(APP_ID), "db")
            os.makedirs(lock_dir, exist_ok=True)
            lockfile = os.path.join(lock_dir, "updates.lock")
            open(lockfile, "w").close()  # owned by root: a user service holds the lock
            try:
                before = containers()
                status, body = post_json(f"/v2/applications/{APP_ID}/restart-service", {"serviceName": "db"})
                assert status == 423 and "locked" in body, (status, body)
                assert containers()["db_1_3_release-3"][0] == before["db_1_3_release-3"][0], "db restarted"
                status, body = post_json(f"/v2/applications/{APP_ID}/restart-service",
                                         {"serviceName": "db", "force": True})
                assert status == 200, (status, body)
                assert containers()["db_1_3_release-3"][0] != before["db_1_3_release-3"][0], "force did not restart"
                assert not os.path.exists(lockfile), "the forced action left the user's lock"
            finally:
                if os.path.exists(lockfile):
                    os.remove(lockfile)
            daemon.wait_applied("release-3", 3, timeout=30)
        check("a user's update lock refuses a restart with 423; force overrides it", user_lock)

        def bad_targets():
            before = containers()
            status, body = daemon.request("POST", "/v2/local/target-state", "{\"local\": ",
                                          {"Content-Type": "application/json"})
            assert status == 400 and "not valid JSON" in body, (status, body)
            bad = json.loads(json.dumps(RELEASE_1))
            bad["local"]["apps"][str(APP_ID)]["services"]["1"]["running"] = "yes"
            status, body = daemon.post_target(bad)
            assert status == 400 and f"/local/apps/{APP_ID}/services/1/running" in body, (status, body)
            time.sleep(3)
            assert containers() == before, "the running release was touched"
            daemon.wait_applied("release-3", 3, timeout=10)
        check("a malformed target is refused with 400 and the release runs on", bad_targets)

        def corrupt():
            before = containers()
            daemon.stop()
            db = os.path.join(daemon.data_dir, "database.sqlite")
            for suffix in ("-wal", "-shm"):
                if os.path.exists(db + suffix):
                    os.remove(db + suffix)
            with open(db, "r+b") as f:
                f.write(os.urandom(4096))
            daemon.start()
            time.sleep(2)
            assert "store-recovered" in daemon.logs(), "the recovery was not logged"
            moved = [n for n in os.listdir(daemon.data_dir)
                     if n.startswith("database.sqlite.") and not n.endswith(("-wal", "-shm"))]
            assert moved, f"the corrupt file was not kept: {os.listdir(daemon.data_dir)}"
            after = containers()
            assert after == before, f"containers were stopped or recreated: {before} -> {after}"
        check("a corrupt database is moved aside and the containers keep running", corrupt)

        def api_key():
            locked = Daemon(os.path.join(work, "managed"), free_port(), local_mode=False)
            locked.start()
            try:
                assert locked.get("/v2/state/status")[0] == 401
                assert locked.get("/ping")[0] == 200
                assert locked.get("/v2/state/status?apikey=e2e_secret_key")[0] == 200
                assert locked.get("/v2/version", {"Authorization": "Bearer e2e_secret_key"})[0] == 200
                assert locked.post_target(RELEASE_1)[0] == 401
            finally:
                locked.stop()
        check("without the API key a request gets 401", api_key)
    finally:
        daemon.stop()
        cleanup()
        shutil.rmtree(work, ignore_errors=True)
    if "install_seconds" in state:
        print(f"timing: fresh install of 3 services {state['install_seconds']:.1f}s", end="")
        print(f", update of release 2 {state.get('update_seconds', float('nan')):.1f}s")
    return summary("e2e")


if __name__ == "__main__":
    sys.exit(main())

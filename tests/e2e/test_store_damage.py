#!/usr/bin/env python3
"""End-to-end: a damaged store file does not make the device forget its
release (issue 15 item 1). The daemon as a process in local mode, a real
engine, a real SQLite file.

A release runs; the daemon is stopped; the database file is damaged in
several places (header, schema page, a middle page, the last page); the
daemon starts again. The stored target must still be there (GET
/v2/local/target-state), nothing may be recreated (the device keeps its
uuid, which the containers carry), and a container removed by hand must
come back, which it can only do if the daemon still knows what to run.
Then the state copy itself is damaged beside a sound database: it is
written again and the release runs on.

usage: test_store_damage.py SUPERVISOR TESTENV_DIR
Refuses to run when the engine holds supervised containers it did not
create; removes only what its own app (a random app id) created.
"""
import json
import os
import random
import shutil
import sys
import tempfile
import time

import e2e_daemon  # noqa: E402
from e2e_common import app_container_infos, check, docker, free_port, refuse_foreign_engine, remove_app_objects, summary

SUPERVISOR, TESTENV = sys.argv[1], sys.argv[2]
ENV = dict(line.strip().split("=", 1) for line in open(os.path.join(TESTENV, "env")) if "=" in line)
BUSYBOX = ENV["BUSYBOX_IMAGE"]
APP_ID = random.randint(100000, 999999)  # everything this run creates carries it
PAGE = 4096
COMMAND = ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"]


def containers():
    """name -> id of this run's running containers."""
    return {info["Name"].lstrip("/"): info["Id"] for info in app_container_infos(APP_ID)}


class Daemon(e2e_daemon.Daemon):
    # No uuid configured: the device generates one and keeps it in the store,
    # so losing the store would change it.
    def __init__(self, data_dir, port):
        super().__init__(SUPERVISOR, ENV["DOCKER_HOST"], data_dir, port, api_key="e2e_store_key")
        self.db = os.path.join(data_dir, "database.sqlite")

    def stored_apps(self):
        return self.stored_target()["state"]["local"]["apps"]


def service(name, sid):
    return {"serviceName": name, "serviceId": sid, "imageId": sid, "image": BUSYBOX, "environment": {"ROLE": name},
            "labels": {}, "command": COMMAND}


RELEASE = {"local": {"name": "e2e-store", "config": {}, "apps": {str(APP_ID): {
    "name": "e2e-store-app", "commit": "store-release-1", "releaseId": 1,
    "services": {"1": service("main", 1), "2": service("side", 2)}, "volumes": {}, "networks": {}}}}}


def damage(path):
    """Overwrites the header, the rest of page 1 (the schema), a middle page
    and the last page; the daemon is stopped, so there is no WAL."""
    size = os.path.getsize(path)
    assert size >= 4 * PAGE, f"the database is only {size} bytes"
    middle = (size // PAGE // 2) * PAGE
    with open(path, "r+b") as f:
        for offset, length in ((0, 100), (100, PAGE - 100), (middle, PAGE), (size - PAGE, PAGE)):
            f.seek(offset)
            f.write(bytes([0xA5]) * length)


def device_uuid(name):
    env = json.loads(docker("inspect", "--format", "{{json .Config.Env}}", name))
    return next(e.split("=", 1)[1] for e in env if e.startswith("BALENA_DEVICE_UUID="))


def main():
    if refuse_foreign_engine("e2e.store_damage"):
        return 1
    work = tempfile.mkdtemp(prefix="supervisor-e2e-store-")
    daemon = Daemon(os.path.join(work, "device"), free_port())
    state = {}
    try:
        daemon.start()

        def install():
            status, body = daemon.request("POST", "/v2/local/target-state", json.dumps(RELEASE))
            assert status == 200, (status, body)
            daemon.wait_applied("store-release-1", 2)
            state["before"] = containers()
            assert sorted(state["before"]) == ["main_1_1_store-release-1", "side_2_1_store-release-1"], \
                state["before"]
            state["uuid"] = device_uuid("main_1_1_store-release-1")
        check("a 2-service release runs", install)

        def damaged_database():
            mark = len(daemon.logs())
            daemon.stop()
            for suffix in ("-wal", "-shm"):
                assert not os.path.exists(daemon.db + suffix), f"a {suffix} file after a clean stop"
            damage(daemon.db)
            daemon.start()
            logs = daemon.logs()[mark:]
            assert "store-recovered" in logs, "the damage was not found:\n" + logs[-2000:]
            apps = daemon.stored_apps()
            assert list(apps) == [str(APP_ID)], f"the stored target lost the release: apps {apps}"
            assert "store-restored" in logs, "the restore was not logged:\n" + logs[-2000:]
            assert apps[str(APP_ID)]["commit"] == "store-release-1", apps
            services = apps[str(APP_ID)]["services"]  # the API answers a list; the CLI posts an object
            services = services.values() if isinstance(services, dict) else services
            assert sorted(s["serviceName"] for s in services) == ["main", "side"], apps
            daemon.wait_applied("store-release-1", 2)
            time.sleep(3)  # a re-check of the loop: still nothing to do
            assert containers() == state["before"], f"recreated: {state['before']} -> {containers()}"
            assert device_uuid("main_1_1_store-release-1") == state["uuid"]
        check("after damage in four places the stored target is intact and nothing is recreated", damaged_database)

        def removed_by_hand():
            docker("rm", "-f", state["before"]["side_2_1_store-release-1"])
            deadline = time.time() + 60
            while time.time() < deadline:
                now = containers()
                if "side_2_1_store-release-1" in now:
                    break
                time.sleep(0.5)
            now = containers()
            assert "side_2_1_store-release-1" in now, "the removed container did not come back:\n" + \
                daemon.logs()[-3000:]
            assert now["side_2_1_store-release-1"] != state["before"]["side_2_1_store-release-1"]
            assert now["main_1_1_store-release-1"] == state["before"]["main_1_1_store-release-1"]
            daemon.wait_applied("store-release-1", 2)
            state["before"] = now
        check("a container removed by hand after the recovery comes back", removed_by_hand)

        def damaged_copy():
            mark = len(daemon.logs())
            daemon.stop()
            copy = daemon.db + "-state"
            with open(copy, "r+b") as f:
                f.seek(os.path.getsize(copy) // 2)
                f.write(b"\x00" * 64)
            daemon.start()
            logs = daemon.logs()[mark:]
            assert "store-copy" in logs and "damaged" in logs, "the damaged copy was not noticed:\n" + logs[-2000:]
            assert "store-recovered" not in logs, "a sound database was moved aside"
            assert list(daemon.stored_apps()) == [str(APP_ID)]
            daemon.wait_applied("store-release-1", 2)
            assert containers() == state["before"], "recreated"
            # Written again: the next damage to the database is survived too.
            mark = len(daemon.logs())
            daemon.stop()
            damage(daemon.db)
            daemon.start()
            assert "store-restored" in daemon.logs()[mark:], daemon.logs()[mark:][-2000:]
            assert list(daemon.stored_apps()) == [str(APP_ID)]
        check("a damaged copy beside a sound database is written again and used at the next damage", damaged_copy)
    finally:
        daemon.stop()
        remove_app_objects(APP_ID)
        shutil.rmtree(work, ignore_errors=True)
    return summary("e2e.store_damage")


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""End-to-end, device tags (local-api.md §4, cloud-protocol §3.2 and §7): a
managed daemon against the fake balena cloud (strict as the captures 73-77).
PATCH /v2/device/tags is stored and sent in the background, only the values
that changed; GET /v2/device/tags reads the cloud live; a tag the cloud did
not take (it failed) is sent after a restart. Also the hostname of
PATCH /v1/device/host-config, which the cloud side must keep when it
rewrites config.json. The fleet has no release, so no container is made.

usage: test_tags.py SUPERVISOR TESTENV_DIR
Prints one line per check and a closing 'N passed, N failed' line.
"""
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid as uuidlib

import e2e_daemon  # noqa: E402
from e2e_common import check, check_no_unexpected_calls, free_port, remove_app_objects, remove_work_dir, summary, wait_until  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "fake_cloud"))
from harness import FakeCloud  # noqa: E402

SUPERVISOR, TESTENV = sys.argv[1], sys.argv[2]
ENV = dict(line.strip().split("=", 1) for line in open(os.path.join(TESTENV, "env")) if "=" in line)
APP_ID = random.randint(100000, 999999)
APP_UUID = uuidlib.uuid4().hex
PROVISIONING_KEY = "e2e-provisioning-key"
LOCAL_KEY = "e2e_secret_key"
AUTH = {"Authorization": f"Bearer {LOCAL_KEY}"}
FLEET = {APP_UUID: {"id": APP_ID, "name": "e2e-tags", "class": "fleet", "is_host": False, "releases": {}}}


class Daemon(e2e_daemon.Daemon):
    def __init__(self, work, cloud_url):
        self.config_json = os.path.join(work, "config.json")
        super().__init__(SUPERVISOR, ENV["DOCKER_HOST"], os.path.join(work, "data"), free_port(), local_mode=None,
                         api_key=LOCAL_KEY, config_path=os.path.join(work, "supervisor.json"),
                         log_path=os.path.join(work, "daemon.log"), auth=AUTH, configJsonPath=self.config_json,
                         appsJsonPath=os.path.join(work, "apps.json"), balenaDatabase="")
        with open(self.config_json, "w") as f:
            json.dump({"apiEndpoint": cloud_url, "apiKey": PROVISIONING_KEY, "applicationId": APP_ID,
                       "deviceType": "generic-amd64", "bootstrapRetryDelay": 1000}, f)

    def uuid(self):
        with open(self.config_json) as f:
            config = json.load(f)
        return config["uuid"] if "deviceId" in config else None

    def patch_tags(self, tags):
        return self.request("PATCH", "/v2/device/tags", json.dumps(tags))


def tag_patches(cloud):
    return [r for r in cloud.requests() if r["path"] == "/device/v3/tags"]


def main():
    work = tempfile.mkdtemp(prefix="supervisor-e2e-tags-")
    try:
        with FakeCloud() as cloud:
            cloud.set_target(apps=FLEET)
            cloud.provisioning_key(PROVISIONING_KEY)
            daemon = Daemon(work, cloud.url)
            state = {}
            try:
                run_checks(cloud, daemon, state)
            finally:
                daemon.stop()

            check_no_unexpected_calls(cloud)
    finally:
        try:
            remove_app_objects(APP_ID)  # nothing is expected; whatever carries this run's app id goes
        except (OSError, subprocess.CalledProcessError):  # no engine answering: nothing was made
            pass
        remove_work_dir(work)
    return summary("e2e tags")


def run_checks(cloud, daemon, state):
    def register():
        daemon.start()
        state["uuid"] = wait_until("provisioned", daemon.uuid, timeout=60)
        # 500 until the cloud side is up (provisioned, initial config reported).
        status, body = wait_until("GET /v2/device/tags answers", lambda: (lambda a: a if a[0] == 200 else None)(
            daemon.get("/v2/device/tags")))
        assert json.loads(body) == {"status": "success", "tags": []}, (status, body)
    check("the device registers; GET /v2/device/tags reads the cloud's (none yet)", register)

    def send():
        status, body = daemon.patch_tags({"location": "lab", "rack": "3"})
        assert status == 202 and json.loads(body) == {"status": "success"}, (status, body)
        wait_until("the cloud holds both tags", lambda: cloud.device(state["uuid"])["tags"] == {"location": "lab", "rack": "3"})
        patches = tag_patches(cloud)
        assert len(patches) == 1, patches
        assert patches[0]["method"] == "PATCH" and patches[0]["headers"].get("Authorization", "").startswith("Bearer ")
        status, body = daemon.get("/v2/device/tags")
        tags = json.loads(body)["tags"]
        assert status == 200 and sorted((t["name"], t["value"]) for t in tags) == [("location", "lab"), ("rack", "3")], body
        assert all(isinstance(t["id"], int) for t in tags), tags
    check("PATCH /v2/device/tags: 202, sent to PATCH /device/v3/tags, read back live", send)

    def only_changes():
        before = len(tag_patches(cloud))
        status, _ = daemon.patch_tags({"location": "office", "rack": "3"})
        assert status == 202
        wait_until("location updated", lambda: cloud.device(state["uuid"])["tags"].get("location") == "office", timeout=30)
        patches = tag_patches(cloud)
        assert len(patches) == before + 1, patches
        body = patches[-1]["body"]
        sent = json.loads(body) if isinstance(body, str) else body
        assert sent == {state["uuid"]: {"location": "office"}}, sent  # rack did not change: not sent
        status, _ = daemon.patch_tags({"location": "office"})
        assert status == 202
        time.sleep(2)
        assert len(tag_patches(cloud)) == before + 1, "an unchanged value was sent again"
    check("only values that differ from the last reported ones are sent, at most one PATCH per 10 s", only_changes)

    def bad_input():
        before = len(tag_patches(cloud))
        for body, message in ((["x"], "Invalid tags body, must be an object like `{[tagKey: string]: string}`"),
                              ({"a": 1}, "Invalid tags body, must be an object like `{[tagKey: string]: string}`"),
                              ({"a b": "x"}, "Tag keys cannot contain whitespace")):
            status, text = daemon.request("PATCH", "/v2/device/tags", json.dumps(body))
            assert status == 400 and json.loads(text) == {"status": "failed", "message": message}, (body, status, text)
        time.sleep(1)
        assert len(tag_patches(cloud)) == before
    check("bad tag bodies are 400s and nothing is sent", bad_input)

    def hostname_kept():
        status, body = daemon.request("PATCH", "/v1/device/host-config", json.dumps({"network": {"hostname": "e2e-box"}}))
        assert (status, body) == (200, "OK"), (status, body)
        assert json.load(open(daemon.config_json))["hostname"] == "e2e-box"
        # The cloud turns persistent logging on: the cloud side rewrites
        # config.json, and must keep the hostname the API wrote.
        cloud.set_target(apps=FLEET, config={"BALENA_SUPERVISOR_PERSISTENT_LOGGING": "true"})
        status, _ = daemon.request("POST", "/v1/update", json.dumps({"force": True}))
        assert status in (202, 204), status
        config = wait_until("persistentLogging written", lambda: (lambda c: c if c.get("persistentLogging") else None)(
            json.load(open(daemon.config_json))))
        assert config["hostname"] == "e2e-box", config
        status, body = daemon.get("/v1/device/host-config")
        assert status == 200 and json.loads(body) == {"network": {"hostname": "e2e-box"}}, body
    check("a hostname set through the API survives the cloud's rewrite of config.json", hostname_kept)

    def resumes():
        cloud.fault("/device/v3/tags", "500", count=1000)
        status, _ = daemon.patch_tags({"shelf": "B"})
        assert status == 202
        wait_until("a refused PATCH", lambda: any(r["path"] == "/device/v3/tags" and r.get("fault") for r in cloud.requests()),
                   timeout=30)
        daemon.stop()
        cloud.clear_faults()
        assert "shelf" not in cloud.device(state["uuid"])["tags"]
        daemon.start()
        wait_until("the unsent tag after the restart", lambda: cloud.device(state["uuid"])["tags"].get("shelf") == "B",
                   timeout=60)
    check("a tag the cloud did not take is sent after a restart", resumes)


if __name__ == "__main__":
    sys.exit(main())

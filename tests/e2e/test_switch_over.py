#!/usr/bin/env python3
"""End-to-end: switch-over from the balena supervisor (issue 16). The daemon
as a process, a real engine, a balena v19 database file built from the
reference's schema (tests/store/balena/schema_v19.sql).

The test plays the balena supervisor: it writes its database (one app of
three services, one with the supervisor-api feature and its scoped key, a
volume, a network, images, current commit, global key) and creates the
objects as it does: the create bodies come from the compose module that the
conformance cases (the balena supervisor's own bodies) check, with the
device facts the balena supervisor passes (image inspect, uuid, scoped key,
supervisor0 address, lock binds under /tmp/balena-supervisor/services).
Then the daemon starts on an empty data directory with balenaDatabase
pointing at the file, and the test asserts, from the engine's own event
stream, that no container was created, started, killed or removed and no
image pulled; ids and StartedAt unchanged; the volume's file untouched; the
scoped and global keys answer; the imported target equals the balena one
field by field; the balena file unchanged.

Second part: a damaged balena database imports nothing, the daemon starts,
and the same release posted through the local API adopts the containers
from their labels without recreating them.

usage: test_switch_over.py SUPERVISOR TESTENV_DIR [--services N]
With --services N (a benchmark, bench/switch_over.sh) runs only the first
part with N services and prints the switch-over time. Refuses to run when the
engine holds supervised containers it did not create; removes only what its
own app (a random app id) created.
"""
import hashlib
import http.client
import json
import os
import random
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.parse

import e2e_daemon  # noqa: E402
from e2e_common import app_container_infos, check, docker, free_port, refuse_foreign_engine, remove_app_objects, summary

SUPERVISOR, TESTENV = sys.argv[1], sys.argv[2]
BENCH_SERVICES = int(sys.argv[sys.argv.index("--services") + 1]) if "--services" in sys.argv else None
ENV = dict(line.strip().split("=", 1) for line in open(os.path.join(TESTENV, "env")) if "=" in line)
BUSYBOX = ENV["BUSYBOX_IMAGE"]
HERE = os.path.dirname(os.path.abspath(__file__))
SCHEMA = os.path.join(HERE, "..", "store", "balena", "schema_v19.sql")
LOCK_ROOT = "/tmp/balena-supervisor/services"  # balenaOS's: the containers were created with it

APP_ID = random.randint(100000, 999999)  # everything this run creates carries it
APP_UUID = str(APP_ID)  # a local-mode app: the balena supervisor uses the app id as uuid
RELEASE_ID = random.randint(1000, 9999)
COMMIT = "%032x" % random.getrandbits(128)
DEVICE_UUID = "%032x" % random.getrandbits(128)
GLOBAL_KEY = "%032x" % random.getrandbits(128)
SCOPED_KEY = "%032x" % random.getrandbits(128)
LOOP = "trap 'exit 0' TERM; while true; do sleep 1; done"


def docker_socket():
    host = ENV["DOCKER_HOST"]
    assert host.startswith("unix://"), f"the test talks to a unix socket engine, not {host}"
    return host[len("unix://"):]


class Engine(http.client.HTTPConnection):
    """The engine API over its unix socket, for the bodies the CLI cannot send."""

    def __init__(self):
        super().__init__("localhost")

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(docker_socket())


def engine(method, path, body=None):
    conn = Engine()
    conn.request(method, path, body=None if body is None else json.dumps(body),
                 headers={"Content-Type": "application/json"})
    resp = conn.getresponse()
    text = resp.read().decode()
    conn.close()
    assert resp.status < 300, f"{method} {path}: {resp.status} {text}"
    return json.loads(text) if text.strip() else None


def compose(side):
    """A balena create body: the compose module the conformance cases check."""
    out = subprocess.run([SUPERVISOR, "compose"], input=json.dumps({"convert": side}), capture_output=True,
                         text=True, check=True).stdout
    answer = json.loads(out)
    assert "result" in answer, answer
    return answer["result"]


def os_version():
    for line in open("/etc/os-release"):
        if line.startswith("PRETTY_NAME="):
            return line.split("=", 1)[1].strip().replace('"', "")
    return ""


def services_of(count):
    """The release: name -> (serviceId, v3 service fields)."""
    out = {
        "api": (11, {"environment": {"ROLE": "api"}, "labels": {"io.balena.features.supervisor-api": "1"},
                     "composition": {"command": ["sh", "-c", LOOP]}}),
        "worker": (12, {"environment": {"ROLE": "worker"}, "labels": {},
                        "composition": {"command": ["sh", "-c", "date > /data/marker; " + LOOP],
                                        "networks": ["backend"], "volumes": ["data:/data"]}}),
        "cache": (13, {"environment": {"ROLE": "cache", "SIZE": "64"}, "labels": {"tier": "cache"},
                       "composition": {"command": ["sh", "-c", LOOP], "networks": ["backend"]}}),
    }
    for i in range(3, count):
        out[f"extra{i}"] = (11 + i, {"environment": {"ROLE": f"extra{i}"}, "labels": {},
                                     "composition": {"command": ["sh", "-c", LOOP]}})
    return out


def stored_service(name, sid, fields):
    """One element of app.services as the balena supervisor v19 writes it (§2.1)."""
    return {"image": BUSYBOX, "running": True, **fields, "appId": APP_ID, "appUuid": APP_UUID,
            "releaseId": RELEASE_ID, "commit": COMMIT, "imageId": sid + 100, "serviceId": sid, "serviceName": name}


def write_balena_database(path, services, image_id):
    db = sqlite3.connect(path)
    db.executescript(open(SCHEMA).read())
    rows = [stored_service(name, sid, fields) for name, (sid, fields) in services.items()]
    db.execute("INSERT INTO app (name, releaseId, `commit`, appId, services, networks, volumes, source, uuid, class, "
               "isHost, rejected) VALUES (?, ?, ?, ?, ?, ?, ?, 'local', ?, 'fleet', 0, 0)",
               ("switch-app", RELEASE_ID, COMMIT, APP_ID, json.dumps(rows), json.dumps({"backend": {}}),
                json.dumps({"data": {}}), APP_UUID))
    db.execute("UPDATE config SET value = 'true' WHERE key = 'localMode'")
    db.executemany("INSERT INTO config (key, value) VALUES (?, ?)",
                   [("name", "switch-device"), ("targetStateSet", "true"), ("initialConfigSaved", "true")])
    db.execute("UPDATE deviceConfig SET targetValues = ?", (json.dumps({"SUPERVISOR_POLL_INTERVAL": "600000"}),))
    db.execute("INSERT INTO currentCommit (appId, `commit`) VALUES (?, ?)", (APP_ID, COMMIT))
    db.execute("INSERT INTO apiSecret (appId, key, scopes, serviceName) VALUES (0, ?, ?, NULL)",
               (GLOBAL_KEY, json.dumps([{"type": "global"}])))
    db.execute("INSERT INTO apiSecret (appId, key, scopes, serviceName) VALUES (?, ?, ?, 'api')",
               (APP_ID, SCOPED_KEY, json.dumps([{"type": "app", "appId": APP_ID}])))
    for row in rows:
        db.execute("INSERT INTO image (name, appId, serviceId, serviceName, imageId, releaseId, dockerImageId, "
                   "appUuid, `commit`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   (BUSYBOX, APP_ID, row["serviceId"], row["serviceName"], row["imageId"], RELEASE_ID, image_id,
                    APP_UUID, COMMIT))
    db.commit()
    db.close()


def balena_options(port, image_info, scoped):
    return {"uuid": DEVICE_UUID, "deviceName": "switch-device", "appName": "switch-app",
            "deviceType": "generic-amd64", "deviceArch": "amd64", "osVersion": os_version(),
            "listenPort": port, "supervisorApiHost": "10.114.104.1", "serviceApiKey": scoped,
            "hostPathExists": {"modules": os.path.exists("/lib/modules"),
                               "firmware": os.path.exists("/lib/firmware")},
            "imageInfo": image_info}


def create_as_balena(services, port):
    """The app's volume, networks and containers, made and started as the
    balena supervisor makes them."""
    image_info = json.loads(docker("image", "inspect", BUSYBOX))[0]
    for volume in ("data",):
        engine("POST", "/volumes/create",
               compose({"volume": {"name": volume, "appId": APP_ID, "appUuid": APP_UUID, "config": {}}}))
    networks = {}
    for network in ("default", "backend"):
        body = compose({"network": {"name": network, "appId": APP_ID, "appUuid": APP_UUID, "config": {}}})
        networks[body["Name"]] = engine("POST", "/networks/create", body)["Id"]
    ids = {}
    for name, (sid, fields) in services.items():
        service = {"serviceName": name, "appId": APP_ID, "appUuid": APP_UUID, "serviceId": sid,
                   "imageId": sid + 100, "releaseId": RELEASE_ID, "commit": COMMIT, "image": BUSYBOX,
                   "environment": fields["environment"], "labels": fields["labels"],
                   "composition": fields["composition"]}
        scoped = SCOPED_KEY if name == "api" else ""
        body = compose({"service": service, "options": balena_options(port, image_info, scoped)})
        # Balena creates on the network mode's network and connects the others after.
        endpoints = body.get("NetworkingConfig", {}).get("EndpointsConfig", {})
        first = body["HostConfig"].get("NetworkMode")
        later = {net: cfg for net, cfg in endpoints.items() if net != first}
        body["NetworkingConfig"] = {"EndpointsConfig": {first: endpoints[first]} if first in endpoints else {}}
        for bind in body["HostConfig"].get("Binds", []):
            source = bind.split(":")[0]
            if source.startswith(LOCK_ROOT):
                os.makedirs(source, exist_ok=True)
        cname = f"{name}_{sid + 100}_{RELEASE_ID}_{COMMIT}"
        cid = engine("POST", "/containers/create?name=" + urllib.parse.quote(cname), body)["Id"]
        for net, cfg in later.items():
            engine("POST", f"/networks/{net}/connect", {"Container": cid, "EndpointConfig": cfg})
        engine("POST", f"/containers/{cid}/start")
        ids[cname] = cid
    return ids


def containers():
    """name -> (id, StartedAt) of this run's containers."""
    return {info["Name"].lstrip("/"): (info["Id"], info["State"]["StartedAt"])
            for info in app_container_infos(APP_ID, stopped_too=True)}


def engine_events(since, until):
    """The engine's events between two unix times, as (type, action, name)."""
    query = urllib.parse.urlencode({"since": str(since), "until": str(until)})
    conn = Engine()
    conn.request("GET", "/events?" + query)
    text = conn.getresponse().read().decode()
    conn.close()
    out = []
    for line in text.splitlines():
        if line.strip():
            event = json.loads(line)
            out.append((event.get("Type"), event.get("Action"), event.get("Actor", {}).get("Attributes", {})))
    return out


def disturbed(events):
    """Events that touched this app's containers or pulled an image."""
    bad = []
    for kind, action, attributes in events:
        if kind == "container" and attributes.get("io.balena.app-id") == str(APP_ID) and \
                action.split(":")[0] in ("create", "start", "kill", "die", "stop", "destroy", "restart", "rename",
                                         "pause", "update"):
            bad.append((action, attributes.get("name")))
        if kind == "image" and action == "pull":
            bad.append((action, attributes.get("name")))
        if kind == "volume" and action in ("create", "destroy") and attributes.get("name", "").startswith(f"{APP_ID}_"):
            bad.append((action, attributes.get("name")))
        if kind == "network" and action in ("create", "destroy") and \
                attributes.get("name", "").startswith(f"{APP_UUID}_"):
            bad.append((action, attributes.get("name")))
    return bad


class Daemon(e2e_daemon.Daemon):
    def __init__(self, data_dir, port, balena_db, api_key=None, local_mode=False):
        # Unmanaged with local mode off: every request needs a key, so the
        # keys the balena supervisor made are really what answers.
        super().__init__(SUPERVISOR, ENV["DOCKER_HOST"], data_dir, port, local_mode=local_mode, api_key=api_key,
                         uuid=DEVICE_UUID, deviceName="switch-device", listenAddress="0.0.0.0",
                         configJsonPath=os.path.join(data_dir, "no-config.json"),
                         appsJsonPath=os.path.join(data_dir, "no-apps.json"),
                         balenaDatabase=balena_db, lockDir=LOCK_ROOT)

    def wait_settled(self, key, count, timeout=60):
        deadline = time.time() + timeout
        last = None
        while time.time() < deadline:
            status, body = self.get(f"/v2/state/status?apikey={key}")
            if status == 200:
                last = json.loads(body)
                running = [c for c in last["containers"] if c["status"] == "Running"]
                if last["appState"] == "applied" and len(running) == count:
                    return last
            time.sleep(0.2)
        raise AssertionError(f"not settled within {timeout}s: {last}\n" + self.logs()[-4000:])


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def main():
    label = "bench.switch_over" if BENCH_SERVICES else "e2e.switch_over"
    if refuse_foreign_engine(label):
        return 1
    work = tempfile.mkdtemp(prefix="supervisor-e2e-switch-")
    port = free_port()
    services = services_of(BENCH_SERVICES or 3)
    balena_db = os.path.join(work, "resin-data", "balena-supervisor", "database.sqlite")
    os.makedirs(os.path.dirname(balena_db))
    image_id = json.loads(docker("image", "inspect", BUSYBOX))[0]["Id"]
    write_balena_database(balena_db, services, image_id)
    balena_hash = sha256(balena_db)
    state = {}
    daemon = Daemon(os.path.join(work, "device"), port, balena_db)
    second = None
    try:
        state["created"] = create_as_balena(services, port)
        time.sleep(2)  # the worker wrote its marker
        state["before"] = containers()
        state["marker"] = docker("exec", f"worker_112_{RELEASE_ID}_{COMMIT}", "cat", "/data/marker")

        def switch_over():
            state["since"] = time.time()
            daemon.start()
            settled = daemon.wait_settled(GLOBAL_KEY, len(services))
            state["settled_s"] = time.time() - state["since"]
            assert settled["release"] == COMMIT, settled
            assert "imported the balena supervisor's state" in daemon.logs(), daemon.logs()[-3000:]
            if not BENCH_SERVICES:
                time.sleep(5)  # two re-checks of the loop: still nothing to do
            after = containers()
            assert after == state["before"], f"recreated or restarted: {state['before']} -> {after}"
            bad = disturbed(engine_events(int(state["since"]) - 1, int(time.time()) + 1))
            assert not bad, f"the engine saw: {bad}\n" + daemon.logs()[-4000:]
        check(f"the daemon takes over {len(services)} services of the balena supervisor: no create, start, kill, "
              "remove or pull", switch_over)
        if BENCH_SERVICES:
            print(f"switch-over of {len(services)} services (daemon start -> settled, nothing changed): "
                  f"{state.get('settled_s', float('nan')):.2f} s")
            return summary(label)

        def untouched_volume():
            assert docker("exec", f"worker_112_{RELEASE_ID}_{COMMIT}", "cat", "/data/marker") == state["marker"]
            assert sha256(balena_db) == balena_hash, "the balena database file changed"
            for suffix in ("-journal", "-wal", "-shm"):
                assert not os.path.exists(balena_db + suffix), f"a {suffix} file beside the balena database"
        check("the volume's file and the balena database are as they were", untouched_volume)

        def keys():
            env = json.loads(docker("inspect", "--format", "{{json .Config.Env}}", f"api_111_{RELEASE_ID}_{COMMIT}"))
            assert f"BALENA_SUPERVISOR_API_KEY={SCOPED_KEY}" in env, env
            status, body = daemon.get(f"/v2/applications/{APP_ID}/state?apikey={SCOPED_KEY}")
            assert status == 200, (status, body)
            status, body = daemon.get(f"/v1/device?apikey={GLOBAL_KEY}")
            assert status == 200, (status, body)
            status, body = daemon.get(f"/v2/applications/{APP_ID}/state?apikey={'0' * 32}")
            assert status == 401, (status, body)
        check("the scoped key the api service holds and the global key answer; another key does not", keys)

        def same_target():
            status, body = daemon.get(f"/v2/local/target-state?apikey={GLOBAL_KEY}")
            assert status == 200, (status, body)
            local = json.loads(body)["state"]["local"]
            assert local["name"] == "switch-device", local["name"]
            app = local["apps"][str(APP_ID)]
            assert (app["name"], app["commit"], app["releaseId"]) == ("switch-app", COMMIT, RELEASE_ID), app
            got = app["services"]
            got = list(got.values()) if isinstance(got, dict) else got
            assert sorted(s["serviceName"] for s in got) == sorted(services), got
            for s in got:
                sid, fields = services[s["serviceName"]]
                assert (s["serviceId"], s["imageId"], s["image"]) == (sid, sid + 100, BUSYBOX), s
                assert (s["commit"], s["releaseId"]) == (COMMIT, RELEASE_ID), s
                composition = s["composition"]  # the plan-request form (docs/plan-request.md)
                assert composition.get("environment", {}) == fields["environment"], composition
                assert composition.get("labels", {}) == fields["labels"], composition
                for key, value in fields["composition"].items():
                    assert composition.get(key) == value, (key, composition.get(key), value)
            assert [v["name"] for v in app["volumes"]] == ["data"], app["volumes"]
            assert "backend" in [n["name"] for n in app["networks"]], app["networks"]
        check("the imported target equals the balena one field by field", same_target)
        daemon.stop()

        def import_by_hand():
            def cli(*args):
                return subprocess.run([SUPERVISOR, "import-balena", *args], capture_output=True, text=True)
            data = os.path.join(work, "by-hand")
            done = cli("--from", balena_db, "--data-dir", data, "--config", daemon.config)
            assert done.returncode == 0, done.stderr
            assert f"app {APP_ID} (switch-app) release {COMMIT}: 3 services" in done.stdout, done.stdout
            assert "3 image records, 1 commits, 2 API keys" in done.stdout, done.stdout
            again = cli("--from", balena_db, "--data-dir", data, "--config", daemon.config)
            assert again.returncode == 1 and "already holds a target" in again.stderr, (again.returncode, again.stderr)
            assert cli("--from", balena_db, "--data-dir", data, "--config", daemon.config,
                       "--replace").returncode == 0
            missing = cli("--from", os.path.join(work, "none.sqlite"), "--data-dir", os.path.join(work, "x"))
            assert missing.returncode == 1 and "nothing imported" in missing.stderr, missing.stderr
            assert not os.path.exists(os.path.join(work, "x")), "a failed import made the data directory"
            assert cli("--data-dir", data).returncode == 2
        check("supervisor import-balena: imports once, refuses a store with a target unless --replace, "
              "and a missing file", import_by_hand)

        # A damaged balena database: nothing imported, the daemon starts,
        # and the same release posted locally adopts what runs.
        damaged = os.path.join(work, "damaged", "database.sqlite")
        os.makedirs(os.path.dirname(damaged))
        shutil.copy(balena_db, damaged)
        with open(damaged, "r+b") as f:
            f.seek(0)
            f.write(b"\xa5" * 100)
        # Local mode: the release comes as the balena CLI would post it.
        second = Daemon(os.path.join(work, "device2"), port, damaged, api_key="e2e_switch_key", local_mode=True)

        def label_adoption():
            since = time.time()
            second.start()
            logs = second.logs()
            assert "the balena database was not imported" in logs, logs[-3000:]
            local = {"local": {"name": "switch-device", "config": {}, "apps": {str(APP_ID): {
                "name": "switch-app", "commit": COMMIT, "releaseId": RELEASE_ID,
                "services": {str(sid): {"serviceName": name, "serviceId": sid, "imageId": sid + 100,
                                        "image": BUSYBOX, **fields["composition"],
                                        "environment": fields["environment"], "labels": fields["labels"]}
                             for name, (sid, fields) in services.items()},
                "volumes": {"data": {}}, "networks": {"backend": {}}}}}}
            # The scoped key is not imported this time: only what the
            # container holds can keep it as it is, so its value must not
            # be asked to change. The api service gets a new key only if
            # it were recreated.
            status, body = second.request("POST", "/v2/local/target-state?apikey=e2e_switch_key", json.dumps(local))
            assert status == 200, (status, body)
            second.wait_settled("e2e_switch_key", len(services))
            time.sleep(5)
            bad = disturbed(engine_events(int(since) - 1, int(time.time()) + 1))
            after = containers()
            return bad, after
        state["adoption"] = None

        def run_label_adoption():
            bad, after = label_adoption()
            changed = {name for name in after if after[name] != state["before"].get(name)}
            # Without the balena database the api service's scoped key is
            # unknown: this supervisor gives it a new one, which recreates
            # that service alone (docs/switch-over.md); the others stay.
            assert changed <= {f"api_111_{RELEASE_ID}_{COMMIT}"}, f"recreated: {sorted(changed)}\n{bad}"
            print(f"     recreated without the balena keys: {sorted(changed) or 'none'}")
            others = [b for b in bad if not (b[1] or "").startswith("api_")]
            assert not others, f"the engine saw: {others}\n" + second.logs()[-4000:]
        check("a damaged balena database imports nothing; the same release posted locally adopts the containers "
              "from their labels", run_label_adoption)
    finally:
        daemon.stop()
        if second:
            second.stop()
        remove_app_objects(APP_ID)
        for volume in docker("volume", "ls", "-q", "--filter", f"name={APP_ID}_").split():
            if volume.startswith(f"{APP_ID}_"):
                docker("volume", "rm", volume, check=False)
        shutil.rmtree(os.path.join(LOCK_ROOT, str(APP_ID)), ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)
    return summary(label)


if __name__ == "__main__":
    sys.exit(main())

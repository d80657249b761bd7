#!/usr/bin/env python3
"""End-to-end (issue 12 items 4, 5 and 8): targets that break the intake
rules, posted to a running daemon in local mode, are refused with a 400
naming the bad field, and nothing changes: the same containers (same ids,
not restarted), the same stored target, no directory outside the data
directory. Once, a service named with Docker-refused characters was taken
with a 200 and the planner removed all the running services.

usage: test_target_intake.py SUPERVISOR TESTENV_DIR
Needs the docker_env fixture (scripts/testenv/up.sh).
"""
import json
import os
import random
import shutil
import sys
import tempfile
import time

from e2e_common import app_container_infos, check, docker, free_port, refuse_foreign_engine, remove_app_objects, summary  # noqa: E402
from e2e_daemon import Daemon  # noqa: E402

SUPERVISOR, TESTENV = sys.argv[1], sys.argv[2]
ENV = dict(line.strip().split("=", 1) for line in open(os.path.join(TESTENV, "env")) if "=" in line)
BUSYBOX = ENV["BUSYBOX_IMAGE"]
APP_ID = random.randint(100000, 999999)  # this run's app: everything it creates carries it
COMMAND = ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"]


def containers():
    """name -> (id, started_at, running) of this run's containers."""
    return {info["Name"].lstrip("/"): (info["Id"], info["State"]["StartedAt"], info["State"]["Running"])
            for info in app_container_infos(APP_ID, stopped_too=True)}


def service(name, sid, **compose):
    return {"serviceName": name, "serviceId": sid, "imageId": sid, "image": BUSYBOX, "environment": {"ROLE": name},
            "labels": {}, "command": COMMAND, **compose}


def target(services, commit="release-1", release_id=1, networks=None):
    return {"local": {"name": "e2e-intake", "config": {}, "apps": {str(APP_ID): {
        "name": "e2e-intake-app", "commit": commit, "releaseId": release_id,
        "services": {str(s["serviceId"]): s for s in services},
        "volumes": {}, "networks": networks if networks is not None else {"backend": {}}}}}}


GOOD = [service("api", 1, networks=["backend"]), service("web", 2, networks=["backend"])]
P = f"/local/apps/{APP_ID}"
# (what, body text, the pointer the 400 must name)
BAD = [
    ("a service name with a path", json.dumps(target(GOOD + [service("../../../../tmp/x", 3)])),
     f"{P}/services/3/serviceName"),
    ("a service name with unicode", json.dumps(target([service("wéb", 2)] + GOOD[:1])), f"{P}/services/2/serviceName"),
    ("a service name replacing one that runs", json.dumps(target([service("../../etc", 1)] + GOOD[1:])),
     f"{P}/services/1/serviceName"),
    ("a commit with a slash", json.dumps(target(GOOD, commit="a/b")), f"{P}/commit"),
    ("a releaseId of 2^63", json.dumps(target(GOOD, release_id=2 ** 63)), f"{P}/releaseId"),
    ("an environment value that is a number", json.dumps(target([dict(GOOD[0], environment={"A": 1})] + GOOD[1:])),
     f"{P}/services/1/environment/A"),
    ("a network name with a path", json.dumps(target(GOOD, networks={"backend": {}, "../n": {}})),
     f"{P}/networks/..~1n"),
    ("a body nested 100,000 deep", '{"local": ' + "[" * 100000 + "]" * 100000 + "}", "deeper than 64 levels"),
]


def main():
    if refuse_foreign_engine("e2e.target_intake"):
        return 1
    work = tempfile.mkdtemp(prefix="supervisor-e2e-intake-")
    # Deep enough that ../../../../tmp/x from the lock directory stays inside
    # `work`, where the test can see it.
    daemon = Daemon(SUPERVISOR, ENV["DOCKER_HOST"], os.path.join(work, "a", "b", "c", "device"), free_port(),
                    recheckInterval=1000)
    try:
        daemon.start()

        def install():
            status, body = daemon.post_target(json.dumps(target(GOOD)))
            assert status == 200, (status, body)
            daemon.wait_applied("release-1", 2)
            assert sorted(containers()) == ["api_1_1_release-1", "web_2_1_release-1"], containers()
        check("a good 2-service target comes up", install)

        def refused():
            before, stored = containers(), daemon.stored_target()
            for what, body, pointer in BAD:
                status, answer = daemon.post_target(body)
                assert status == 400, f"{what}: {status} {answer[:300]}"
                assert pointer in answer, f"{what}: the answer does not name {pointer}: {answer[:300]}"
            time.sleep(3)  # several re-checks of the apply loop
            after = containers()
            assert after == before, f"the running release was touched: {before} -> {after}"
            assert daemon.stored_target() == stored, "the stored target changed"
            daemon.wait_applied("release-1", 2, timeout=10)
            # The lock directory of ../../../../tmp/x would have been
            # <data>/locks/<app>/../../../../tmp/x, that is <work>/a/b/tmp/x.
            escaped = [os.path.join(root, name) for root, dirs, _ in os.walk(work) for name in dirs if name == "tmp"]
            assert not escaped, f"directories made outside the lock directory: {escaped}"
        check("bad targets are refused with 400 naming the field; the same containers run, the stored target stays",
              refused)

        def restart():
            before = containers()
            daemon.stop()
            daemon.start()
            daemon.wait_applied("release-1", 2)
            assert containers() == before, "a refused target came back after a restart"
        check("after a restart the daemon runs the last good target, recreating nothing", restart)
    finally:
        daemon.stop()
        remove_app_objects(APP_ID)
        shutil.rmtree(work, ignore_errors=True)
    return summary("e2e.target_intake")


if __name__ == "__main__":
    sys.exit(main())

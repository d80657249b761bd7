"""What the end-to-end tests share: the docker CLI, a free loopback port,
one line per check with a closing 'N passed, N failed', the refusal to run
against an engine that holds supervised containers the tests did not create
(the daemon would manage them), the fake cloud's closing check and the
removal of a test's work directory."""
import json
import os
import shutil
import socket
import subprocess
import time

results = []


def docker(*args, check=True):
    return subprocess.run(["docker", *args], capture_output=True, text=True, check=check).stdout.strip()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def remove_app_objects(app_id):
    """Removes the containers (with their anonymous volumes) and networks of
    one test app: only what carries that app's id."""
    for cid in docker("ps", "-aq", "--filter", f"label=io.balena.app-id={app_id}").split():
        docker("rm", "-f", "-v", cid, check=False)
    for net in docker("network", "ls", "-q", "--filter", f"label=io.balena.app-id={app_id}").split():
        docker("network", "rm", net, check=False)


def check(name, fn):
    started = time.time()
    try:
        fn()
        results.append(True)
        print(f"ok   {name} ({time.time() - started:.1f}s)", flush=True)
    except Exception as error:  # a failed check fails the test, not the run
        results.append(False)
        print(f"FAIL {name}\n     {error}", flush=True)


def refuse_foreign_engine(label):
    """True (after saying so) when the engine holds supervised containers."""
    foreign = docker("ps", "-aq", "--filter", "label=io.balena.supervised")
    if not foreign:
        return False
    print(f"the engine holds supervised containers these tests did not create ({foreign.split()}); "
          "refusing to run a supervisor against it")
    print(f"{label}: 0 passed, 1 failed")
    return True


def summary(label):
    passed = sum(results)
    print(f"{label}: {passed} passed, {len(results) - passed} failed")
    return 0 if passed == len(results) else 1


def app_container_infos(app_id, stopped_too=False):
    """`docker inspect` of each of an app's containers. One the daemon
    removes between the listing and its inspect (an update in progress) is
    gone, not an error: a test polling during an update must not fail on it."""
    infos = []
    for cid in docker("ps", "-aq" if stopped_too else "-q", "--filter", f"label=io.balena.app-id={app_id}").split():
        infos += json.loads(docker("inspect", cid, check=False) or "[]")
    return infos


def app_containers(app_id, stopped_too=False):
    """service name -> (container id, image id) of an app's containers."""
    return {info["Config"]["Labels"]["io.balena.service-name"]: (info["Id"], info["Image"])
            for info in app_container_infos(app_id, stopped_too)}


def check_no_unexpected_calls(cloud):
    """The closing check of a test against the fake cloud."""
    def no_unexpected():
        unexpected = cloud.unexpected_requests()
        assert not unexpected, [(r["method"], r["path"]) for r in unexpected]
    check("the device makes no call the cloud does not implement", no_unexpected)


def remove_work_dir(work):
    """Removes a test's work directory, or keeps it (and says where) when
    E2E_KEEP is set."""
    if os.environ.get("E2E_KEEP"):
        print(f"kept: {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)


def wait_until(what, fn, timeout=60, interval=0.5):
    """fn()'s first true value, asked every `interval` seconds; an
    AssertionError naming `what` and fn()'s last value after `timeout`."""
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"{what}: not within {timeout}s (last: {str(last)[:500]})")

"""The six campaigns: each a setup (what its world needs) and a trial (one
fault at a random point of a real update, then the check). A trial returns
the record `Harness.converge` makes, plus what the campaign adds."""
import json
import os
import shutil
import signal
import socket
import threading
import time

import device
from harness import Harness
from infra import CuttableProxy, import_image, wait_until

STRATEGIES = device.STRATEGIES


def _lock(h, service):
    """A user's lockfile (owned by root, not the supervisor's uid 65534)."""
    directory = os.path.join(h.lock_root, str(h.app_id), service)
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, "updates.lock")
    if os.path.exists(path):  # the supervisor's own (uid 65534): not a user's
        os.remove(path)
    open(path, "w").close()
    return path


def _supervisor_locks(h):
    """Lockfiles the supervisor (uid 65534) still holds for the app."""
    root = os.path.join(h.lock_root, str(h.app_id))
    held = []
    for service in os.listdir(root) if os.path.isdir(root) else []:
        for name in ("updates.lock", "resin-updates.lock"):
            path = os.path.join(root, service, name)
            if os.path.exists(path) and os.stat(path).st_uid == 65534:
                held.append(f"{service}/{name}")
    return held


def _running(h, name, sid, gen):
    out = h.engine.docker("inspect", "-f", "{{.State.Running}}", device.container_name(name, sid, gen), check=False)
    return out == "true"


def _answered_ok(post, before=None):
    answer = post.get("answer")
    return bool(answer and answer[0] == 200 and (before is None or post["at"] <= before))


def _window(h):
    """Where a fault may land: 1.3 times one update without a fault (a fixed
    4 s in a quick run, which skips that update)."""
    return 4.0 if h.quick else 1.1 * max(h.timed_update("download-then-kill"), 1.0)


def _log_mark(h):
    return h.log_size()


def _mid_update(h, mark):
    """False when the daemon had said the update was done before the fault
    (a fault on a settled device: counted apart in the figures)."""
    return "msg=\"the device runs its target\"" not in h.log_since(mark)


# -- 1. kill -9 ------------------------------------------------------------------


class Kill9:
    name = "kill9"

    def setup(self, h):
        h.start()
        h.install()
        self.window = _window(h)

    def trial(self, h):
        strategy = h.rng.choice(STRATEGIES)
        locked = h.rng.random() < 0.3
        h.write_volume_file()
        h.gen += 1
        gen = h.gen
        extra = {"strategy": strategy, "locked": locked}
        lock = _lock(h, "api") if locked else None
        target = h.target(gen, strategy)
        mark = _log_mark(h)
        post = h.post_async(target)
        extra["fault_at"] = round(h.rng.uniform(0, self.window), 2)
        time.sleep(extra["fault_at"])
        extra["mid_update"] = _mid_update(h, mark)
        h.daemon.stop(signal.SIGKILL)
        cut = time.time()
        post["thread"].join(15)
        h.daemon.start()
        fault_end = time.time()
        problems = []
        integrity, commit = device.store_state(h.db_path, h.app_id)
        if _answered_ok(post, cut) and commit != device.commit_of(gen):
            problems.append(f"an accepted target was lost: store holds {commit}")
        if commit != device.commit_of(gen):
            status, body = h.post(target)  # as the CLI does when its request failed
            if status != 200:
                problems.append(f"re-post answered {status}: {body[:200]}")
        if locked:
            time.sleep(3)
            # hand-over is not gated on update locks (as balena's: the
            # reference, "Handover steps are not gated on update locks").
            if strategy != "hand-over" and not _running(h, "api", 2, gen - 1):
                problems.append("the locked service's container was stopped while its lock was held")
            os.remove(lock)
            fault_end = time.time()
        record = h.converge(gen, fault_end)
        record["supervisor_locks_left"] = _supervisor_locks(h)
        record["problems"] = problems + record["problems"]
        record["converged"] = record["converged"] and not problems
        return {**extra, **record}


# -- 2. engine restart -------------------------------------------------------------


class EngineRestart:
    name = "engine_restart"

    def setup(self, h):
        h.start()
        h.install()
        self.window = _window(h)

    def trial(self, h):
        strategy = h.rng.choice(STRATEGIES)
        h.write_volume_file()
        h.gen += 1
        gen = h.gen
        target = h.target(gen, strategy)
        extra = {"strategy": strategy, "fault_at": round(h.rng.uniform(0, self.window), 2),
                 "engine_down": round(h.rng.uniform(0.5, 4), 2)}
        mark = _log_mark(h)
        post = h.post_async(target)
        time.sleep(extra["fault_at"])
        extra["mid_update"] = _mid_update(h, mark)
        h.engine.stop()
        time.sleep(extra["engine_down"])
        h.engine.start()
        fault_end = time.time()
        post["thread"].join(15)
        problems = []
        if not h.daemon_alive():
            problems.append(f"the daemon exited (code {h.daemon.proc.returncode}) when the engine went away")
            h.daemon.start()
        if not _answered_ok(post):
            status, body = h.post(target)
            if status != 200:
                problems.append(f"re-post answered {status}: {body[:200]}")
        record = h.converge(gen, fault_end)
        record["problems"] = problems + record["problems"]
        record["converged"] = record["converged"] and not problems
        return {**extra, **record}


# -- 3. power loss as SQLite sees it -----------------------------------------------


class PowerLoss:
    """The store's directory is on a loop-mounted ext4 with a 60 s journal
    commit interval. At the cut the daemon is frozen (SIGSTOP), the backing
    file of the file system is copied as it stands: what the store fsynced
    is in it, what it only wrote is in it only if the kernel happened to
    write it back (the disk after a power cut). The daemon is killed, the
    file system unmounted, the copy put in place of its image and mounted
    (ext4 replays its journal as at boot), and the daemon starts on it.
    Half the trials `sync` before the copy (a cut just after a sync)."""
    name = "power_loss"

    def setup(self, h):
        h.start()
        h.install()
        self.window = _window(h)
        os.sync()  # the device as installed is on its disk

    def trial(self, h):
        synced = h.rng.random() < 0.5
        strategy = h.rng.choice(STRATEGIES)
        h.write_volume_file()
        h.gen += 1
        gen = h.gen
        target = h.target(gen, strategy)
        # Half the cuts land within the target's write (the POST), half
        # anywhere in the update (image records, commits, logs).
        at = h.rng.uniform(0, 0.25) if h.rng.random() < 0.5 else h.rng.uniform(0, self.window)
        extra = {"strategy": strategy, "synced": synced, "fault_at": round(at, 3)}
        mark = _log_mark(h)
        post = h.post_async(target)
        time.sleep(at)
        extra["mid_update"] = _mid_update(h, mark)
        pid = h.daemon.proc.pid
        os.kill(pid, signal.SIGSTOP)
        cut = time.time()
        if synced:
            os.sync()
        snapshot = h.store_fs.image + ".at-cut"
        shutil.copyfile(h.store_fs.image, snapshot)
        h.daemon.stop(signal.SIGKILL)
        post["thread"].join(15)
        h.store_fs.umount()
        os.replace(snapshot, h.store_fs.image)
        h.store_fs.mount()
        recoveries = h.store_recoveries()
        h.daemon.start()
        fault_end = time.time()
        problems = []
        integrity, commit = device.store_state(h.db_path, h.app_id)
        if h.store_recoveries() > recoveries:
            problems.append("the store opened torn (moved aside)")
        if integrity != "ok":
            problems.append(f"store integrity: {integrity}")
        if _answered_ok(post, cut) and commit != device.commit_of(gen):
            problems.append(f"an accepted target was lost: store holds {commit}")
        extra["accepted_before_cut"] = _answered_ok(post, cut)
        if commit != device.commit_of(gen):
            status, body = h.post(target)
            if status != 200:
                problems.append(f"re-post answered {status}: {body[:200]}")
        record = h.converge(gen, fault_end)
        record["store_corrupt"] = record["store_corrupt"] or any("store" in p for p in problems)
        record["problems"] = problems + record["problems"]
        record["converged"] = record["converged"] and not problems
        return {**extra, **record}


# -- shared by the pulls of campaigns 4 and 5 ----------------------------------------


class PulledWeb:
    """web's image comes from our registry (through `proxy` when given):
    three images with a payload, used in turn, each removed from the engine
    before its turn so that every trial pulls for real."""

    def __init__(self, h, payload_bytes, proxy=None):
        self.h, self.refs = h, []
        for i in range(3):
            pushed = f"{h.registry.addr}/faults/web-{i}:latest"
            import_image(h.engine, pushed, f"web-{i}", payload_bytes)
            h.engine.docker("push", pushed)
            h.engine.docker("rmi", pushed)
            self.refs.append(pushed.replace(h.registry.addr, proxy.addr) if proxy else pushed)
        self.turn = 0

    def next(self):
        ref = self.refs[self.turn % len(self.refs)]
        self.turn += 1
        self.h.engine.docker("rmi", ref, check=False)
        self.h.images["web"] = ref
        return ref


# -- 4. disk full --------------------------------------------------------------------


class DiskFull:
    """Two small loop file systems: the store's data directory (32 MB) and
    the engine's data-root (400 MB). A trial fills one of them (leaving
    nothing), either before the target is posted (the target write, or the
    pull, meets a full disk) or at a random point of the update; holds it
    full for a few seconds; checks the daemon is alive and said so in its
    log; frees the space and waits for convergence."""
    name = "disk_full"
    engine_fs_mb, store_fs_mb = 400, 32

    def setup(self, h):
        h.start(with_registry=True)
        self.web = PulledWeb(h, 2 * 1024 * 1024)
        h.install()
        self.web.next()
        self.window = _window(h)

    def trial(self, h):
        which = h.rng.choice(["store", "engine"])
        when = h.rng.choice(["before-post", "during-update"])
        strategy = h.rng.choice(STRATEGIES)
        fs = h.store_fs if which == "store" else h.engine_fs
        h.write_volume_file()
        h.gen += 1
        gen = h.gen
        self.web.next()
        target = h.target(gen, strategy)
        extra = {"strategy": strategy, "filled": which, "when": when}
        mark = _log_mark(h)
        problems = []
        if when == "before-post":
            fs.fill()
            status, _ = h.post(target)
            extra["post_status"] = status
            if which == "store" and status == 200:
                problems.append("a target was accepted on a full store")
            post = {"answer": (status, ""), "at": time.time()}
        else:
            post = h.post_async(target)
            extra["fault_at"] = round(h.rng.uniform(0, self.window), 2)
            time.sleep(extra["fault_at"])
            extra["mid_update"] = _mid_update(h, mark)
            fs.fill()
        time.sleep(h.rng.uniform(3, 6))
        if not h.daemon_alive():
            problems.append(f"the daemon exited (code {h.daemon.proc.returncode}) on a full disk")
        elif not h.daemon_ping():
            problems.append("the daemon does not answer on a full disk")
        logs = h.log_since(mark)
        extra["logged_error"] = " error " in logs or "level=error" in logs or " warn " in logs
        fs.unfill()
        fault_end = time.time()
        if "thread" in post:
            post["thread"].join(15)
        if not h.daemon_alive():
            h.daemon.start()
        if not _answered_ok(post):
            deadline = time.time() + 30
            status, body = h.post(target)
            while status != 200 and time.time() < deadline:
                time.sleep(1)
                status, body = h.post(target)
            if status != 200:
                problems.append(f"re-post after freeing space answered {status}: {body[:200]}")
        record = h.converge(gen, fault_end)
        record["problems"] = problems + record["problems"]
        record["converged"] = record["converged"] and not problems
        return {**extra, **record}


# -- 5. network breaking mid-pull ---------------------------------------------------


class Network:
    """The engine pulls web's new image through a proxy that sends 2 MB/s
    (an 8 MB layer takes ~4 s); at a random point of the pull every
    connection is reset and new ones are refused for 3-8 s. The strategy is
    the default download-then-kill: the old web must run all along."""
    name = "network"
    rate = 2 * 1024 * 1024
    mode = CuttableProxy.RESET  # run.py --network-mode blackhole for a silent link

    def setup(self, h):
        h.start(with_registry=True)
        self.proxy = CuttableProxy(h.registry.port, self.rate)
        self.web = PulledWeb(h, 8 * 1024 * 1024, self.proxy)
        self.web.next()
        h.install()

    def trial(self, h):
        h.write_volume_file()
        h.gen += 1
        gen = h.gen
        self.web.next()
        target = h.target(gen, "download-then-kill")
        mark = _log_mark(h)
        extra = {"fault_at": round(h.rng.uniform(0.3, 3.5), 2), "cut_for": round(h.rng.uniform(3, 8), 2)}
        through = self.proxy.bytes_through
        post = h.post_async(target)
        time.sleep(extra["fault_at"])
        extra["mid_update"] = _mid_update(h, mark)
        extra["pulled_before_cut"] = self.proxy.bytes_through - through
        extra["mode"] = self.mode
        self.proxy.cut(self.mode)
        time.sleep(extra["cut_for"])
        problems = []
        if not _running(h, "web", 3, gen - 1):
            problems.append("the old web stopped while its new image could not be pulled")
        self.proxy.restore()
        fault_end = time.time()
        post["thread"].join(15)
        if not _answered_ok(post):
            problems.append(f"the target was not accepted: {post.get('answer')}")
        record = h.converge(gen, fault_end)
        logs = h.log_since(mark)
        extra["fetch_attempts"] = logs.count("action=fetch")
        record["problems"] = problems + record["problems"]
        record["converged"] = record["converged"] and not problems
        return {**extra, **record}


# -- 6. bad input under load ---------------------------------------------------------


def _raw(port, payload, read=True, timeout=10):
    """Sends bytes, returns the status line's code (or None)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        try:
            s.sendall(payload)
        except OSError:
            return None
        if not read:
            return None
        try:
            head = s.recv(64)
        except OSError:
            return None
    parts = head.split(b" ")
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None


def _post_raw(path, body, extra_headers=b""):
    return (b"POST " + path + b" HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" + extra_headers +
            b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)


class BadInput:
    """Concurrent clients for a few seconds: half their requests valid
    (status, ping, the stored target read back, the current target posted
    again), half bad (malformed and oversized bodies, a 100,000-deep
    document, lying Content-Length, a 1 MB header, garbage request lines,
    targets that break the rules). Every valid request must be answered as
    it should; the daemon must stay up and its RSS bounded."""
    name = "bad_input"
    clients, burst = 6, 8.0

    def setup(self, h):
        h.start()
        h.install()
        h.write_volume_file()
        self.rss_start = self.rss(h)

    @staticmethod
    def rss(h):
        with open(f"/proc/{h.daemon.proc.pid}/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))

    def bad_payloads(self, h, rng):
        target = json.dumps(h.target(h.gen, "download-then-kill")).encode()
        kinds = {
            "malformed": lambda: _post_raw(b"/v2/local/target-state", b'{"local": {"apps": '),
            "oversized": lambda: _post_raw(b"/v2/local/target-state", b'{"local": "' + b"a" * (32 << 20) + b'"}'),
            "deep": lambda: _post_raw(b"/v2/local/target-state", b"[" * 100000 + b"]" * 100000),
            "lying-length": lambda: (b"POST /v2/local/target-state HTTP/1.1\r\nHost: x\r\nContent-Length: "
                                     b"1048576\r\n\r\n{\"local\":"),
            "huge-header": lambda: b"GET /v2/state/status HTTP/1.1\r\nX-Big: " + b"b" * (1 << 20) + b"\r\n\r\n",
            "garbage": lambda: bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 4096))),
            "bad-target": lambda: _post_raw(b"/v2/local/target-state", target.replace(b'"serviceName": "db"',
                                                                                     b'"serviceName": "../db"')),
            "bad-chunked": lambda: (b"POST /v2/local/target-state HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: "
                                    b"chunked\r\n\r\nZZZZ\r\nnope\r\n"),
        }
        return kinds

    def trial(self, h):
        stats = {"valid": 0, "valid_answered": 0, "bad": 0, "wrong": []}
        lock = threading.Lock()
        stop_at = time.time() + self.burst
        target = h.target(h.gen, "download-then-kill")

        def client(seed):
            import random
            rng = random.Random(seed)
            kinds = self.bad_payloads(h, rng)
            while time.time() < stop_at:
                if rng.random() < 0.5:
                    which = rng.choice(["status", "ping", "get-target", "post-target"])
                    try:
                        if which == "status":
                            status, body = h.daemon.get("/v2/state/status")
                            good = status == 200 and json.loads(body)["status"] == "success"
                        elif which == "ping":
                            status, body = h.daemon.get("/ping")
                            good = status == 200 and body == "OK"
                        elif which == "get-target":
                            status, body = h.daemon.get("/v2/local/target-state")
                            good = status == 200 and device.commit_of(h.gen) in body
                        else:
                            status, body = h.daemon.post_target(target)
                            good = status == 200
                    except (OSError, ValueError) as error:
                        good, status, body = False, None, str(error)
                    with lock:
                        stats["valid"] += 1
                        stats["valid_answered"] += good
                        if not good and len(stats["wrong"]) < 5:
                            stats["wrong"].append(f"{which}: {status} {str(body)[:120]}")
                else:
                    kind = rng.choice(sorted(kinds))
                    try:
                        _raw(h.daemon.port, kinds[kind](), read=rng.random() < 0.7)
                    except OSError:
                        pass
                    with lock:
                        stats["bad"] += 1

        rss = []
        threads = [threading.Thread(target=client, args=(h.rng.random(),), daemon=True) for _ in range(self.clients)]
        for t in threads:
            t.start()
        while any(t.is_alive() for t in threads):
            if h.daemon_alive():
                rss.append(self.rss(h))
            time.sleep(0.2)
        fault_end = time.time()
        problems = []
        if not h.daemon_alive():
            problems.append(f"the daemon exited (code {h.daemon.proc.returncode})")
            h.daemon.start()
        if stats["valid_answered"] != stats["valid"]:
            problems.append(f"{stats['valid'] - stats['valid_answered']} valid requests not answered right: "
                            f"{stats['wrong']}")
        rss_end = self.rss(h) if h.daemon_alive() else 0
        # Bounded: the largest body the API takes is bounded, so after the
        # burst the daemon is back within 64 MB of where the campaign began.
        if rss_end > self.rss_start + 64 * 1024:
            problems.append(f"RSS {rss_end} kB after the burst, {self.rss_start} kB at start")
        record = h.converge(h.gen, fault_end)
        record["problems"] = problems + record["problems"]
        record["converged"] = record["converged"] and not problems
        return {"valid": stats["valid"], "bad": stats["bad"], "rss_start_kb": self.rss_start,
                "rss_max_kb": max(rss or [0]), "rss_end_kb": rss_end, **record}


CAMPAIGNS = {c.name: c for c in (Kill9, EngineRestart, PowerLoss, DiskFull, Network, BadInput)}


def harness_for(campaign, supervisor, workdir, prefix, seed, bound):
    kwargs = {}
    if campaign is DiskFull:
        kwargs = {"engine_fs_mb": DiskFull.engine_fs_mb, "store_fs_mb": DiskFull.store_fs_mb}
    if campaign is PowerLoss:
        kwargs = {"store_fs_mb": 32, "store_fs_commit": 60}
    return Harness(supervisor, workdir, prefix, seed, bound, **kwargs)


__all__ = ["CAMPAIGNS", "harness_for", "wait_until"]

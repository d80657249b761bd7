"""One campaign's world: its own engine (optionally on a loop file system),
registry, daemon (optionally with its data directory on a loop file system),
the app it runs, and the convergence wait every trial ends with."""
import os
import random
import signal
import sys
import threading
import time

import device
from infra import Engine, LoopFs, Registry, free_port, import_image, wait_until

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "e2e"))
import e2e_daemon  # noqa: E402

BUSYBOX = "faults/busybox:latest"  # local in the engine: never pulled


class Harness:
    def __init__(self, supervisor, workdir, prefix, seed, bound, engine_fs_mb=None, store_fs_mb=None,
                 store_fs_commit=None):
        self.supervisor, self.workdir, self.prefix, self.bound = supervisor, workdir, prefix, bound
        self.rng = random.Random(seed)
        self.app_id = self.rng.randint(100000, 999999)
        self.loops = []
        engine_root = os.path.join(workdir, "engine")
        data_root = None
        if engine_fs_mb:
            self.engine_fs = LoopFs(os.path.join(workdir, "engine-fs.img"), os.path.join(workdir, "engine-fs"),
                                    engine_fs_mb)
            self.engine_fs.create()
            self.loops.append(self.engine_fs)
            data_root = os.path.join(self.engine_fs.mountpoint, "docker")
        self.engine = Engine(engine_root, prefix, data_root)
        self.data_dir = os.path.join(workdir, "device")
        if store_fs_mb:
            self.store_fs = LoopFs(os.path.join(workdir, "store-fs.img"), os.path.join(workdir, "store-fs"),
                                   store_fs_mb, commit=store_fs_commit)
            self.store_fs.create()
            self.loops.append(self.store_fs)
            self.data_dir = os.path.join(self.store_fs.mountpoint, "device")
        self.db_path = os.path.join(self.data_dir, "database.sqlite")
        self.lock_root = os.path.join(workdir, "locks")  # never on a loop fs: services bind-mount it
        self.registry = None
        self.daemon = None
        self.gen = 0
        self.images = {name: BUSYBOX for name, _ in device.SERVICES}
        self.manifest = device.VolumeManifest()
        self.log_path = os.path.join(workdir, "daemon.log")
        self.quick = False

    # -- setup and teardown -------------------------------------------------

    def start(self, with_registry=False):
        self.engine.start()
        import_image(self.engine, BUSYBOX, "busybox")
        if with_registry:
            self.registry = Registry(os.path.join(self.workdir, "registry"))
            self.registry.start()
        os.makedirs(self.data_dir, exist_ok=True)
        self.daemon = e2e_daemon.Daemon(self.supervisor, self.engine.host, self.data_dir, free_port(),
                                        log_path=self.log_path, lockDir=self.lock_root, backoffMax=8000,
                                        balenaDatabase="", appsJsonPath=os.path.join(self.workdir, "none.json"),
                                        configJsonPath=os.path.join(self.workdir, "none-config.json"))
        self.daemon.start()

    def close(self):
        if self.daemon:
            try:
                self.daemon.stop(signal.SIGKILL)
            except Exception:  # noqa: BLE001 (teardown goes on)
                pass
        try:
            if self.engine.answers():
                self.engine.remove_everything()
        finally:
            self.engine.stop()
            if self.registry:
                self.registry.stop()
            for loop in reversed(self.loops):
                loop.destroy()

    # -- the app --------------------------------------------------------------

    def target(self, gen, strategy):
        return device.release(self.app_id, gen, strategy, self.images)

    def volume_dir(self):
        return self.engine.docker("volume", "inspect", "-f", "{{.Mountpoint}}", f"{self.app_id}_data")

    def write_volume_file(self, size=None):
        """A new checksummed file in the volume (the data a trial must keep)."""
        size = size if size is not None else self.rng.randint(1, 256 * 1024)
        self.manifest.write(self.volume_dir(), f"file-{len(self.manifest.files):05d}.bin", size, self.rng)

    def post(self, target, timeout=60):
        """(status, body); (None, error) when the daemon did not answer."""
        try:
            return self.daemon.post_target(target)
        except OSError as error:
            return None, str(error)

    def post_async(self, target):
        """Posts from a thread (the fault may land while the target is being
        stored); the result lands in the returned dict."""
        result = {}

        def go():
            result["answer"] = self.post(target)
            result["at"] = time.time()
        thread = threading.Thread(target=go, daemon=True)
        thread.start()
        result["thread"] = thread
        return result

    def restart_daemon(self):
        self.daemon.stop(signal.SIGKILL)
        self.daemon.start()

    def daemon_alive(self):
        return self.daemon.proc is not None and self.daemon.proc.poll() is None

    def state(self, gen):
        """(problems, duplicates, integrity, stored commit)."""
        problems, duplicates = device.container_problems(self.engine, self.app_id, gen, self.images)
        integrity, commit = device.store_state(self.db_path, self.app_id)
        if integrity != "ok":
            problems.append(f"store: {integrity}")
        if commit != device.commit_of(gen):
            problems.append(f"store holds {commit}, not {device.commit_of(gen)}")
        return problems, duplicates, integrity, commit

    def converge(self, gen, since, bound=None):
        """Waits for release `gen` on the device; the record every trial ends
        with. `since` is when the fault ended."""
        bound = bound or self.bound
        deadline = since + bound
        problems, duplicates, integrity = ["never checked"], 0, "ok"
        while time.time() < deadline:
            problems, duplicates, integrity, _ = self.state(gen)
            if not problems:
                break
            time.sleep(0.25)
        converged_at = time.time()
        record = {"converged": not problems, "seconds": round(converged_at - since, 2) if not problems else None,
                  "duplicates": duplicates, "store_corrupt": integrity != "ok", "problems": problems[:6]}
        try:
            record["bytes_lost"] = self.manifest.bytes_lost(self.volume_dir())
        except Exception as error:  # noqa: BLE001 (the volume itself may be gone: all lost)
            record["bytes_lost"] = sum(size for _, size in self.manifest.files.values())
            record["problems"].append(f"volume: {error}")
        if not problems:
            # Settled, not passing through: one more re-check interval, still
            # the same containers.
            time.sleep(2.5)
            again, dup_again, _, _ = self.state(gen)
            if again:
                record.update(converged=False, problems=["unsettled: " + p for p in again[:6]])
                record["duplicates"] = max(record["duplicates"], dup_again)
        return record

    def reset(self):
        """After a trial that did not converge, so that the next one starts
        from a settled device (and one stuck state is counted once): the
        daemon running, no user lockfile, the app's containers removed (the
        volume and its files stay), the current release applied again."""
        for loop in self.loops:
            loop.unfill()
        if not self.daemon_alive():
            self.daemon.start()
        root = os.path.join(self.lock_root, str(self.app_id))
        for service in os.listdir(root) if os.path.isdir(root) else []:
            for name in ("updates.lock", "resin-updates.lock"):
                path = os.path.join(root, service, name)
                if os.path.exists(path) and os.stat(path).st_uid != 65534:
                    os.remove(path)
        for info in device.app_containers(self.engine, self.app_id):
            self.engine.docker("rm", "-f", info["Id"], check=False)
        self.post(self.target(self.gen, "download-then-kill"))
        return self.converge(self.gen, time.time(), bound=180)["converged"]

    def install(self, strategy="download-then-kill"):
        """The first release, applied without a fault, and the first data."""
        self.gen += 1
        status, body = self.post(self.target(self.gen, strategy))
        assert status == 200, (status, body)
        record = self.converge(self.gen, time.time(), bound=180)
        assert record["converged"], (record, self.daemon.logs()[-3000:])
        for _ in range(8):
            self.write_volume_file()

    def timed_update(self, strategy):
        """An update without fault: how long one takes (where a fault can land)."""
        self.gen += 1
        started = time.time()
        status, body = self.post(self.target(self.gen, strategy))
        assert status == 200, (status, body)
        record = self.converge(self.gen, started, bound=180)
        assert record["converged"], record
        return record["seconds"]

    def store_recoveries(self):
        return self.daemon.logs().count("store-recovered")

    def log_size(self):
        return os.path.getsize(self.log_path) if os.path.exists(self.log_path) else 0

    def log_since(self, offset):
        with open(self.log_path, "rb") as f:
            f.seek(offset)
            return f.read().decode(errors="replace")

    def wait_answers(self, timeout=30):
        return wait_until(lambda: self.daemon_ping(), timeout, 0.2)

    def daemon_ping(self):
        try:
            return self.daemon.get("/ping")[1] == "OK"
        except OSError:
            return False

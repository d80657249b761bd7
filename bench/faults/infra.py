"""What the fault runner starts and stops itself: its own Docker engine (never
the shared one: a campaign restarts it, fills its disk, and the daemon under
test manages every supervised container of the engine it talks to), its own
registry with its own images, a throttling TCP proxy in front of that
registry (the network fault cuts it), and small loop-mounted file systems.

Everything carries the run's prefix (`faults-<hex>`) and is stopped by the pid
this module recorded, never by name."""
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.request


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(*args, env=None, check=True, timeout=120):
    return subprocess.run(list(args), capture_output=True, text=True, check=check, env=env,
                          timeout=timeout).stdout.strip()


def wait_until(predicate, timeout, step=0.1):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


def stop_process(proc, timeout=30):
    """SIGTERM, then SIGKILL after `timeout`; only a Popen this module made."""
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=30)


class LoopFs:
    """An ext4 file system in a file, loop-mounted at `mountpoint`. `commit`
    (seconds) is ext4's journal commit interval: a long one keeps unsynced
    writes in memory, which is what a power cut loses."""

    def __init__(self, image, mountpoint, size_mb, commit=None):
        self.image, self.mountpoint, self.size_mb, self.commit = image, mountpoint, size_mb, commit
        self.mounted = False

    def create(self):
        with open(self.image, "wb") as f:
            f.truncate(self.size_mb * 1024 * 1024)
        # No reserved blocks: "full" means full for root too, as on a device's
        # data partition.
        run("mkfs.ext4", "-q", "-F", "-m", "0", self.image)
        self.mount()

    def mount(self):
        os.makedirs(self.mountpoint, exist_ok=True)
        options = "loop" + (f",commit={self.commit}" if self.commit else "")
        run("mount", "-o", options, self.image, self.mountpoint)
        self.mounted = True

    def umount(self):
        if self.mounted:
            for _ in range(50):
                if subprocess.run(["umount", self.mountpoint], capture_output=True).returncode == 0:
                    break
                time.sleep(0.2)
            else:
                run("umount", "-l", self.mountpoint)
            self.mounted = False

    def free_bytes(self):
        st = os.statvfs(self.mountpoint)
        return st.f_bavail * st.f_frsize

    def fill(self, leave_bytes=0, name=".faults-filler"):
        """Fills the file system but `leave_bytes` with a file `name`."""
        path = os.path.join(self.mountpoint, name)
        chunk = b"\0" * (1 << 20)
        try:
            f = open(path, "ab", buffering=0)  # unbuffered: ENOSPC comes from write, not from close
        except OSError:  # full already (the engine's own writes, or blocks ext4 frees only at commit)
            os.sync()
            try:
                f = open(path, "ab", buffering=0)
            except OSError:
                return path
        with f:
            while True:
                room = self.free_bytes() - leave_bytes
                if room <= 0:
                    break
                try:
                    f.write(chunk[:min(len(chunk), room)])
                except OSError:
                    break
            try:
                os.fsync(f.fileno())
            except OSError:
                pass  # full: what could be written is the point
        return path

    def unfill(self, name=".faults-filler"):
        path = os.path.join(self.mountpoint, name)
        if os.path.exists(path):
            os.remove(path)

    def destroy(self):
        self.umount()
        if os.path.exists(self.image):
            os.remove(self.image)


class Engine:
    """A dockerd of our own: its socket, data-root and exec-root under `root`,
    no default bridge, no iptables, its own containerd namespace and address
    pool, so nothing clashes with the shared engine."""

    def __init__(self, root, prefix, data_root=None):
        self.root, self.prefix = root, prefix
        self.socket = os.path.join(root, "docker.sock")
        self.host = f"unix://{self.socket}"
        self.data_root = data_root or os.path.join(root, "data")
        self.exec_root = os.path.join(root, "exec")
        self.pidfile = os.path.join(root, "dockerd.pid")
        self.log_path = os.path.join(root, "dockerd.log")
        self.proc = None
        self.env = {**os.environ, "DOCKER_HOST": self.host}

    def command(self):
        return ["dockerd", "--host", self.host, "--data-root", self.data_root, "--exec-root", self.exec_root,
                "--pidfile", self.pidfile, "--bridge=none", "--iptables=false", "--ip-masq=false",
                "--ip-forward=false", "--containerd-namespace", f"{self.prefix}-moby",
                "--containerd-plugins-namespace", f"{self.prefix}-plugins",
                "--default-address-pool", "base=10.213.0.0/16,size=24", "--log-level", "warn"]

    def start(self, timeout=60):
        os.makedirs(self.root, exist_ok=True)
        os.makedirs(self.data_root, exist_ok=True)
        log = open(self.log_path, "a")
        self.proc = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     start_new_session=True)
        log.close()
        if not wait_until(self.answers, timeout, 0.2):
            tail = open(self.log_path).read()[-2000:]
            self.stop()
            raise RuntimeError(f"own dockerd did not answer within {timeout}s:\n{tail}")

    def answers(self):
        if self.proc is not None and self.proc.poll() is not None:
            return False
        return subprocess.run(["docker", "version", "--format", "{{.Server.Version}}"], env=self.env,
                              capture_output=True, timeout=10).returncode == 0

    def stop(self, timeout=60):
        stop_process(self.proc, timeout)
        self.proc = None

    def docker(self, *args, check=True, timeout=120):
        return run("docker", *args, env=self.env, check=check, timeout=timeout)

    def remove_everything(self):
        """Only this engine's objects: it is ours alone."""
        ids = self.docker("ps", "-aq", check=False).split()
        if ids:
            self.docker("rm", "-f", "-v", *ids, check=False)
        for net in self.docker("network", "ls", "-q", "--filter", "type=custom", check=False).split():
            self.docker("network", "rm", net, check=False)
        vols = self.docker("volume", "ls", "-q", check=False).split()
        if vols:
            self.docker("volume", "rm", "-f", *vols, check=False)


class Registry:
    """docker-registry on 127.0.0.1, storage under `root`."""

    def __init__(self, root):
        self.root = root
        self.port = free_port()
        self.addr = f"127.0.0.1:{self.port}"
        self.proc = None

    def start(self):
        os.makedirs(os.path.join(self.root, "storage"), exist_ok=True)
        config = os.path.join(self.root, "registry.yml")
        with open(config, "w") as f:
            f.write(f"version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: "
                    f"{self.root}/storage\n  delete:\n    enabled: true\nhttp:\n  addr: {self.addr}\n")
        log = open(os.path.join(self.root, "registry.log"), "a")
        self.proc = subprocess.Popen(["docker-registry", "serve", config], stdout=log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
        log.close()

        def answers():
            try:
                urllib.request.urlopen(f"http://{self.addr}/v2/", timeout=2)
                return True
            except OSError:
                return False
        if not wait_until(answers, 30, 0.1):
            raise RuntimeError("docker-registry did not answer")

    def stop(self):
        stop_process(self.proc)
        self.proc = None


class CuttableProxy:
    """A TCP proxy 127.0.0.1:port -> upstream that sends at most `rate` bytes
    a second per connection (so a pull lasts long enough to be cut in the
    middle) and breaks the network as the engine sees it:

    - `cut(Mode.RESET)`: every open connection is shut down and reset, new
      ones are accepted and closed at once (a registry that went away);
    - `cut(Mode.BLACKHOLE)`: open connections stay open but carry nothing,
      new ones are accepted and never answered (a link that died silently:
      no FIN, no RST)."""

    RESET, BLACKHOLE = "reset", "blackhole"

    def __init__(self, upstream_port, rate):
        self.upstream_port, self.rate = upstream_port, rate
        self.port = free_port()
        self.addr = f"127.0.0.1:{self.port}"
        self.mode = None  # None: up
        self.lock = threading.Lock()
        self.conns = []
        self.held = []
        self.bytes_through = 0
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", self.port))
        self.listener.listen(64)
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.mode == self.RESET:
                _abort(client)
                continue
            if self.mode == self.BLACKHOLE:
                with self.lock:
                    self.held.append(client)
                continue
            try:
                upstream = socket.create_connection(("127.0.0.1", self.upstream_port), timeout=5)
                upstream.settimeout(None)
            except OSError:
                _abort(client)
                continue
            with self.lock:
                self.conns.append((client, upstream))
            threading.Thread(target=self._pump, args=(client, upstream, False), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, True), daemon=True).start()

    def _pump(self, src, dst, throttle):
        try:
            while True:
                data = src.recv(16384)
                if not data:
                    break
                while self.mode == self.BLACKHOLE and not self.closed:
                    time.sleep(0.1)  # the bytes go nowhere until the link is back
                if self.mode == self.RESET or self.closed:
                    break
                dst.sendall(data)
                self.bytes_through += len(data)
                if throttle and self.rate:
                    time.sleep(len(data) / self.rate)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                _abort(s)

    def cut(self, mode):
        self.mode = mode
        if mode == self.RESET:
            with self.lock:
                conns, self.conns = self.conns, []
            for pair in conns:
                for s in pair:
                    _abort(s)

    def restore(self):
        with self.lock:
            held, self.held = self.held, []
        for s in held:
            _abort(s)  # a connection made during the outage never got through
        self.mode = None

    def close(self):
        self.closed = True
        self.cut(self.RESET)
        self.restore()
        self.listener.close()


def _abort(sock):
    """Reset a connection: linger 0, then shutdown (which also wakes a thread
    blocked in recv on it) and close."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\1\0\0\0\0\0\0\0")
    except OSError:
        pass
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    try:
        sock.close()
    except OSError:
        pass


def import_image(engine, name, marker, payload_bytes=0):
    """A busybox rootfs (Debian's busybox-static) with a marker file, and
    `payload_bytes` of random data (so a pull takes time), imported as
    `name` into `engine`."""
    rootfs = tempfile.mkdtemp(prefix="faults-rootfs-")
    try:
        for d in ("bin", "etc", "tmp", "data"):
            os.makedirs(os.path.join(rootfs, d))
        shutil.copy("/bin/busybox", os.path.join(rootfs, "bin", "busybox"))
        for applet in ("sh", "sleep", "true", "echo", "cat", "ls", "sha256sum", "find", "rm", "touch", "mkdir"):
            os.symlink("busybox", os.path.join(rootfs, "bin", applet))
        with open(os.path.join(rootfs, "etc", "faults-marker"), "w") as f:
            f.write(marker + "\n")
        if payload_bytes:
            with open(os.path.join(rootfs, "etc", "faults-payload"), "wb") as f:
                f.write(os.urandom(payload_bytes))
        tar = subprocess.Popen(["tar", "-C", rootfs, "-c", "."], stdout=subprocess.PIPE)
        subprocess.run(["docker", "import", "-c", 'CMD ["/bin/sleep", "3600"]', "-", name], stdin=tar.stdout,
                       env=engine.env, check=True, capture_output=True)
        tar.wait()
    finally:
        shutil.rmtree(rootfs, ignore_errors=True)

"""The device under test and the check that does not trust the daemon.

A release is one app of three services (db with a named volume, api, web;
db and api on a network) whose every service carries GEN=<release number>,
so each new release recreates every service by its update strategy. The
check reads the engine and the SQLite file directly:

- exactly one container per service, named as the target's release names it,
  with the target's image, environment, network and volume, running;
- the app's network and volume exist;
- every file written into the volume before the trial has its checksum;
- the store passes `PRAGMA integrity_check` and its target row holds the
  target's commit."""
import hashlib
import json
import os
import sqlite3

STRATEGIES = ["download-then-kill", "kill-then-download", "delete-then-download", "hand-over"]
SERVICES = [("db", 1), ("api", 2), ("web", 3)]
# Stops at once on SIGTERM, so a kill step does not wait for the engine's
# 10 s timeout.
COMMAND = ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"]


def commit_of(gen):
    return f"faults-{gen:05d}"


def release(app_id, gen, strategy, images):
    """The target of release `gen`: `images` maps service name -> image."""
    services = {}
    for name, sid in SERVICES:
        svc = {"serviceName": name, "serviceId": sid, "imageId": sid, "image": images[name],
               "environment": {"ROLE": name, "GEN": str(gen)}, "command": COMMAND,
               "labels": {"io.balena.update.strategy": strategy}}
        if name in ("db", "api"):
            svc["networks"] = ["backend"]
        if name == "db":
            svc["volumes"] = ["data:/data"]
        if name != "db":
            svc["depends_on"] = ["db"]
        services[str(sid)] = svc
    return {"local": {"name": "faults", "config": {}, "apps": {str(app_id): {
        "name": "faults-app", "commit": commit_of(gen), "releaseId": gen, "services": services,
        "volumes": {"data": {}}, "networks": {"backend": {}}}}}}


def container_name(name, sid, gen):
    return f"{name}_{sid}_{gen}_{commit_of(gen)}"


def app_containers(engine, app_id):
    ids = engine.docker("ps", "-aq", "--filter", f"label=io.balena.app-id={app_id}", check=False).split()
    if not ids:
        return []
    out = engine.docker("inspect", *ids, check=False)
    try:
        return json.loads(out) if out else []
    except ValueError:  # a container removed between ps and inspect
        return []


def container_problems(engine, app_id, gen, images):
    """([problems], duplicates): what differs from release `gen`."""
    problems, duplicates = [], 0
    infos = app_containers(engine, app_id)
    by_service = {}
    for info in infos:
        by_service.setdefault(info["Config"]["Labels"].get("io.balena.service-name"), []).append(info)
    for name, sid in SERVICES:
        found = by_service.get(name, [])
        if len(found) != 1:
            problems.append(f"{name}: {len(found)} containers {[c['Name'] for c in found]}")
            duplicates += max(0, len(found) - 1)
            continue
        c = found[0]
        want = container_name(name, sid, gen)
        if c["Name"].lstrip("/") != want:
            problems.append(f"{name}: named {c['Name']} not {want}")
        if f"GEN={gen}" not in c["Config"]["Env"]:
            problems.append(f"{name}: environment of another release")
        if c["Config"]["Image"] != images[name]:
            problems.append(f"{name}: image {c['Config']['Image']} not {images[name]}")
        if not c["State"]["Running"]:
            problems.append(f"{name}: not running ({c['State']['Status']})")
        nets = c["NetworkSettings"]["Networks"]
        if name in ("db", "api") and f"{app_id}_backend" not in nets:
            problems.append(f"{name}: not on {app_id}_backend ({sorted(nets)})")
        if name == "db" and not any(m.get("Name") == f"{app_id}_data" and m.get("Destination") == "/data"
                                    for m in c["Mounts"]):
            problems.append("db: volume not mounted at /data")
    extra = set(by_service) - {n for n, _ in SERVICES}
    if extra:
        problems.append(f"containers of unknown services {sorted(map(str, extra))}")
    if not engine.docker("network", "ls", "-q", "--filter", f"name=^{app_id}_backend$", check=False):
        problems.append("network missing")
    if engine.docker("volume", "ls", "-q", "--filter", f"name=^{app_id}_data$", check=False) != f"{app_id}_data":
        problems.append("volume missing")
    return problems, duplicates


def store_state(db_path, app_id):
    """(integrity 'ok' or the problem, the stored commit of the app or None).
    Read-only: the daemon may be running."""
    if not os.path.exists(db_path):
        return "missing", None
    try:
        db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=10)
        try:
            integrity = "; ".join(r[0] for r in db.execute("PRAGMA integrity_check(5)").fetchall())
            row = db.execute("SELECT commit_hash FROM target_app WHERE app_id = ?", (app_id,)).fetchone()
            return integrity, (row[0] if row else None)
        finally:
            db.close()
    except sqlite3.Error as error:
        return f"sqlite: {error}", None


class VolumeManifest:
    """Files written straight into the volume's directory on the engine's
    host, each with its SHA-256 and size."""

    def __init__(self):
        self.files = {}

    def write(self, directory, name, size, rng):
        data = rng.randbytes(size)
        path = os.path.join(directory, name)
        with open(path, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        self.files[name] = (hashlib.sha256(data).hexdigest(), size)

    def bytes_lost(self, directory):
        """Bytes of the files that are missing or differ (a changed file
        counts whole)."""
        lost = 0
        for name, (digest, size) in self.files.items():
            try:
                with open(os.path.join(directory, name), "rb") as f:
                    if hashlib.sha256(f.read()).hexdigest() != digest:
                        lost += size
            except OSError:
                lost += size
        return lost

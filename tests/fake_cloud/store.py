"""In-memory data of the fake cloud and the server-side rules that act on it.

The data is kept as pine tables (lists of rows by id) so the /v7 OData
endpoints (pine.py) can read it the way the real API does. A row value that
points at another row is a Ref; fields starting with "_" are private and
never served.

Rules follow open-balena-api v49 as the captures show it (see
reference/cloud-captures/README.md, "Differences"); where the captures say
nothing the choice is noted in a comment.
"""
import copy
import datetime
import itertools
import math
import re
import threading
import time
from collections import deque


TABLES = ("application", "release", "image", "device", "image_install", "device_tag",
          "application_config_variable", "application_environment_variable",
          "device_config_variable", "device_environment_variable")

DEFAULT_DEVICE_TYPES = ("generic-amd64", "generic-aarch64", "intel-nuc", "qemux86-64", "qemux86",
                        "raspberrypi3", "raspberrypi3-64", "raspberrypi4-64", "raspberrypi5",
                        "raspberry-pi", "raspberry-pi2", "jetson-nano", "beaglebone-black")

# Random device names as the API makes them ("evil-castle"); tests that need
# exact names queue them with POST /__control/device-names.
NAME_WORDS = (("quiet", "evil", "small", "lazy", "brave", "misty", "sunny", "wild"),
              ("river", "castle", "mine", "firefly", "forest", "harbor", "meadow", "comet"))

MIN_POLL_INTERVAL = 600000      # the API's DEFAULT_SUPERVISOR_POLL_INTERVAL
LOG_RETENTION = 1000            # lines kept per device, and the default read count
MISSING = object()              # a key absent from a JSON object (JS `undefined`)


def now_iso():
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def now_ms():
    return int(time.time() * 1000)


def js_round(x):
    return math.floor(x + 0.5)


def js_parse_int(value):
    m = re.match(r"\s*([+-]?\d+)", str(value))
    return int(m.group(1)) if m else None


class Ref:
    """A navigation field's value: the row `id` of `table`. Served as
    {"__id": id} unless expanded."""
    __slots__ = ("table", "id")

    def __init__(self, table, id):
        self.table, self.id = table, id

    def __eq__(self, other):
        return isinstance(other, Ref) and (self.table, self.id) == (other.table, other.id)

    def __repr__(self):
        return "Ref(%s, %s)" % (self.table, self.id)


def ref_id(value):
    return value.id if isinstance(value, Ref) else value


class Actor:
    """Who a request's Bearer key makes it: a user (full access), a device
    (itself only) or a provisioning key (may only register devices)."""

    def __init__(self, kind, device_id=None, app_id=None):
        self.kind, self.device_id, self.app_id = kind, device_id, app_id


class ControlError(Exception):
    """Bad input to the control API: answered 400 with the message."""


class Settings:
    """Timings of server-side behaviour, shortened by tests that cannot
    wait for the real values."""

    def __init__(self):
        self.deleted_log_delay_s = 55.0        # deleted device's log stream: 401 after this (capture 72)
        self.log_flush_ms = 500                # streamed lines are stored this long after arrival
        self.metrics_interval_s = 60.0         # metrics written at most this often (capture 18)
        self.download_progress_interval_s = 30.0
        self.keepalive_timeout_s = 5.0         # Node's keepAliveTimeout

    def as_dict(self):
        return dict(vars(self))

    def update(self, values):
        for k, v in values.items():
            if k not in vars(self) or not isinstance(v, (int, float)) or isinstance(v, bool) or v < 0:
                raise ControlError("unknown setting or bad value: %s=%r (settings: %s)"
                                   % (k, v, ", ".join(vars(self))))
            setattr(self, k, v)


class Store:
    def __init__(self, settings):
        self.lock = threading.RLock()
        self.settings = settings
        self.tables = {t: {} for t in TABLES}
        self.keys = {}                  # key -> {"kind", "device_id", "app_id", "expired"}
        self.names = deque()            # queued names for the next registrations
        self.name_seq = itertools.count()
        self.device_types = set(DEFAULT_DEVICE_TYPES)
        self.metrics_time = {}          # device uuid -> time metrics were last written
        self.install_reports = {}       # image_install id -> last report (download progress throttle)
        self.logs = {}                  # device id -> stored log lines, in storage order
        self.pending_logs = 0           # streamed lines not stored yet (flush delay)
        self.flush_queue = deque()      # (device id, buffer) waiting for their flush, in order
        self.reports, self.log_records = [], []
        fleet = self.insert("application", {
            "id": 1, "uuid": "f1ee7000000000000000000000000001", "app_name": "fleet", "slug": "admin/fleet",
            "is_host": False, "is_of__class": "fleet", "should_be_running__release": None})
        self.fleet_id = fleet["id"]
        self.app_order = [fleet["id"]]  # apps sent in every target state, in order

    # ---- tables -----------------------------------------------------------

    def insert(self, table, row):
        rows = self.tables[table]
        if row.get("id") is None:
            row["id"] = max(rows, default=0) + 1
        rows[row["id"]] = row
        return row

    def rows(self, table):
        return [r for r in self.tables[table].values() if not self._hidden(table, r)]

    def get(self, table, id):
        row = self.tables[table].get(id)
        return None if row is None or self._hidden(table, row) else row

    def _hidden(self, table, row):
        """Deleted devices, and rows hanging off them, are gone for pine."""
        if table == "device":
            return row["_deleted"]
        dev = row.get("device")
        return isinstance(dev, Ref) and self.tables["device"][dev.id]["_deleted"]

    def children(self, table, field, id):
        return [r for r in self.rows(table) if ref_id(r.get(field)) == id]

    def fleet(self):
        return self.tables["application"][self.fleet_id]

    def app_by_uuid(self, uuid):
        return next((a for a in self.rows("application") if a["uuid"] == uuid), None)

    def device_by_uuid(self, uuid):
        """The live device with this uuid, or None (unknown or deleted)."""
        return next((d for d in self.rows("device") if d["uuid"] == uuid), None)

    def _rekey(self, table, old, new):
        """Gives a row a new id and moves every Ref to it (a control target
        that names the fleet with another id)."""
        if old == new:
            return
        if new in self.tables[table]:
            raise ControlError("%s id %s is already used" % (table, new))
        row = self.tables[table].pop(old)
        row["id"] = new
        self.tables[table][new] = row
        for rows in self.tables.values():
            for r in rows.values():
                for k, v in r.items():
                    if v == Ref(table, old):
                        r[k] = Ref(table, new)
        if table == "application":
            self.app_order = [new if a == old else a for a in self.app_order]
            self.fleet_id = new if self.fleet_id == old else self.fleet_id
            for key in self.keys.values():
                key["app_id"] = new if key["app_id"] == old else key["app_id"]

    # ---- keys -------------------------------------------------------------

    def actor(self, authorization):
        m = re.fullmatch(r"Bearer\s+(\S+)\s*", authorization or "")
        key = self.keys.get(m.group(1)) if m else None
        if key is None or key["expired"]:
            return None
        if key["kind"] == "device" and self.get("device", key["device_id"]) is None:
            return None
        return Actor(key["kind"], key["device_id"], key["app_id"])

    def add_key(self, key, kind, device_id=None, app_id=None):
        if not isinstance(key, str) or not key or any(c.isspace() for c in key):
            raise ControlError("a key must be a non-empty string without spaces, got %r" % (key,))
        self.keys[key] = {"kind": kind, "device_id": device_id, "app_id": app_id, "expired": False}

    def can_see_device(self, actor, dev):
        return actor.kind == "user" or (actor.kind == "device" and actor.device_id == dev["id"])

    def visible(self, actor, table, row):
        """What a key may read through pine: a user everything, a device its
        own rows and its fleet's."""
        if actor.kind == "user":
            return True
        if actor.kind != "device":
            return False
        dev = self.tables["device"][actor.device_id]
        app_id = ref_id(dev["belongs_to__application"])
        if table == "device":
            return row["id"] == dev["id"]
        if table == "application":
            return row["id"] == app_id
        if table == "image":
            return True
        if "device" in row:
            return ref_id(row["device"]) == dev["id"]
        if "application" in row:
            return ref_id(row["application"]) == app_id
        if table == "release":
            return ref_id(row["belongs_to__application"]) == app_id
        return False

    # ---- fleet target (control API) ----------------------------------------

    def set_target(self, apps=None, config=None, env=None):
        """Replaces what the fleet's devices are told: `apps` in v3 form
        (the fleet's app plus any supervisor/host apps), fleet config vars,
        fleet env vars. Every release named becomes known to the API."""
        if apps is not None:
            if not isinstance(apps, dict) or not apps:
                raise ControlError("`apps` must be a non-empty object: app uuid -> v3 app")
            fleets = [u for u, a in apps.items() if isinstance(a, dict)
                      and a.get("class", "fleet") == "fleet" and not a.get("is_host")]
            if not fleets:
                raise ControlError("`apps` needs one app of class \"fleet\" (not is_host): the devices' fleet")
            for uuid, app in apps.items():     # check it all before changing anything
                if not isinstance(app, dict) or not isinstance(app.get("id"), int) \
                        or not isinstance(app.get("name"), str):
                    raise ControlError("apps.%s needs an integer `id` and a string `name`" % uuid)
                if not isinstance(app.get("releases") or {}, dict):
                    raise ControlError("apps.%s.releases must be an object" % uuid)
                for commit, rel in (app.get("releases") or {}).items():
                    _check_release(commit, rel)
            fleet_uuid = self.fleet()["uuid"] if self.fleet()["uuid"] in fleets else fleets[0]
            order = []
            for uuid, app in apps.items():
                row = self._upsert_app(uuid, app, is_fleet=(uuid == fleet_uuid))
                releases = app.get("releases") or {}
                for commit, rel in releases.items():
                    self.register_release(row["id"], commit, rel)
                # Like the API, one target release per app; v3 allows more keys
                # but devices use only the first.
                first = next(iter(releases), None)
                row["should_be_running__release"] = (
                    Ref("release", releases[first]["id"]) if first is not None else None)
                order.append(row["id"])
            self.app_order = order
        if config is not None:
            self._replace_vars("application_config_variable", "application", self.fleet_id, config)
        if env is not None:
            self._replace_vars("application_environment_variable", "application", self.fleet_id, env)

    def _upsert_app(self, uuid, app, is_fleet):
        row = self.fleet() if is_fleet else self.app_by_uuid(uuid)
        if row is None:
            if app["id"] in self.tables["application"]:
                raise ControlError("application id %s is already used by another app uuid" % app["id"])
            row = self.insert("application", {"id": app["id"], "uuid": uuid, "app_name": app["name"],
                                              "slug": "admin/" + app["name"], "is_host": False,
                                              "is_of__class": "fleet", "should_be_running__release": None})
        self._rekey("application", row["id"], app["id"])
        row.update(uuid=uuid, app_name=app["name"], is_host=bool(app.get("is_host", False)),
                   is_of__class=app.get("class", "fleet"))
        return row

    def register_release(self, app_id, commit, rel):
        _check_release(commit, rel)
        old = self.tables["release"].get(rel["id"])
        if old is not None and old["commit"] != commit:
            raise ControlError("release id %s is already commit %s" % (rel["id"], old["commit"]))
        image_ids = []
        for name, svc in (rel.get("services") or {}).items():
            # The API stores location and digest apart and sends them joined.
            location, _, digest = svc["image"].partition("@")
            self.tables["image"][svc["image_id"]] = {
                "id": svc["image_id"], "is_stored_at__image_location": location,
                "content_hash": digest or None, "_service_id": svc["id"], "_service_name": name}
            image_ids.append(svc["image_id"])
        self.tables["release"][rel["id"]] = {
            "id": rel["id"], "commit": commit, "status": "success",
            "belongs_to__application": Ref("application", app_id),
            "_v3": copy.deepcopy(rel), "_image_ids": image_ids}

    def _replace_vars(self, table, owner_field, owner_id, values):
        if not isinstance(values, dict) or not all(isinstance(v, str) for v in values.values()):
            raise ControlError("variables must be an object of name -> string value")
        for row in self.children(table, owner_field, owner_id):
            del self.tables[table][row["id"]]
        for name, value in values.items():
            self.add_var(table, owner_field, owner_id, name, value)

    def add_var(self, table, owner_field, owner_id, name, value):
        # Key order as the API returns a created variable (capture 10).
        stamp = now_iso()
        row = {"created_at": stamp, "modified_at": stamp, owner_field: Ref(owner_field, owner_id),
               "name": name, "id": max(self.tables[table], default=0) + 1, "value": value}
        return self.insert(table, row)

    # ---- target state (GET /device/v3/<uuid>/state) -------------------------

    def config_for(self, dev):
        """Fleet config vars, then device ones over them; UI vars dropped;
        RESIN_SUPERVISOR_POLL_INTERVAL raised to the minimum (captures 40-42)."""
        config = {}
        for table, field, owner in (("application_config_variable", "application", self.fleet_id),
                                    ("device_config_variable", "device", dev["id"])):
            for var in self.children(table, field, owner):
                if not re.match(r"(BALENA|RESIN)_UI", var["name"]):
                    config[var["name"]] = var["value"]
        config.pop("RESIN_HOST_LOG_TO_DISPLAY", None)
        poll = js_parse_int(config.get("RESIN_SUPERVISOR_POLL_INTERVAL", 0))
        config["RESIN_SUPERVISOR_POLL_INTERVAL"] = "NaN" if poll is None else str(max(poll, MIN_POLL_INTERVAL))
        return config

    def target_state(self, dev):
        config = self.config_for(dev)
        apps = {}
        for app_id in self.app_order:
            app = self.tables["application"][app_id]
            is_fleet = app_id == self.fleet_id
            release = app["should_be_running__release"]
            if is_fleet and dev["is_pinned_on__release"] is not None:
                release = dev["is_pinned_on__release"]
            out = {"id": app["id"], "name": app["app_name"], "is_host": app["is_host"],
                   "class": app["is_of__class"]}
            if release is not None:
                rel = self.tables["release"][release.id]
                out["releases"] = {rel["commit"]: self._release_state(
                    rel, dev if is_fleet else None, config if is_fleet else {}, app["is_host"])}
            apps[app["uuid"]] = out
        return {dev["uuid"]: {"name": dev["device_name"], "apps": apps, "config": config}}

    def _release_state(self, rel, dev, config, is_host):
        v3 = rel["_v3"]
        # Environment layers as the API composes them: fleet vars, service
        # vars (the release's `environment` here), device vars.
        fleet_env = device_env = []
        if dev is not None:
            fleet_env = self.children("application_environment_variable", "application", self.fleet_id)
            device_env = self.children("device_environment_variable", "device", dev["id"])
        services = {}
        for name, svc in (v3.get("services") or {}).items():
            environment = {var["name"]: var["value"] for var in fleet_env}
            environment.update(svc.get("environment") or {})
            environment.update((var["name"], var["value"]) for var in device_env)
            labels = {"io.balena.image.store": "root"} if is_host else {}
            labels.update(svc.get("labels") or {})
            for conf, label in (("RESIN_SUPERVISOR_UPDATE_STRATEGY", "io.resin.update.strategy"),
                                ("RESIN_SUPERVISOR_HANDOVER_TIMEOUT", "io.resin.update.handover-timeout")):
                if conf in config and label not in labels:
                    labels[label] = config[conf]
            out = {"id": svc["id"], "image_id": svc["image_id"], "image": svc["image"].lower(),
                   "environment": environment, "labels": labels}
            if svc.get("contract") is not None:
                out["contract"] = svc["contract"]
            if "composition" in svc:
                out["composition"] = svc["composition"]
            # Keys the API never sends (e.g. `running`) pass through, so a test
            # can still hand them to a device on purpose.
            for k, v in svc.items():
                if k not in out and k not in ("environment", "labels", "contract", "composition"):
                    out[k] = v
            services[name] = out
        state = {"id": rel["id"]}
        if services:
            state["services"] = services
        for k in ("networks", "volumes"):
            if v3.get(k) is not None:
                state[k] = v3[k]
        return state

    def heartbeat(self, dev):
        if dev["api_heartbeat_state"] != "online":
            dev["api_heartbeat_state"] = "online"
            dev["last_connectivity_event"] = now_iso()

    # ---- devices ------------------------------------------------------------

    def next_name(self):
        if self.names:
            return self.names.popleft()
        n = next(self.name_seq)
        a, b = NAME_WORDS
        return "%s-%s" % (a[n % len(a)], b[(n // len(a)) % len(b)])

    def create_device(self, uuid, api_key, name=None, fields=None, id=None):
        if self.device_by_uuid(uuid) is not None:
            raise ControlError("a device with uuid %s exists" % uuid)
        if api_key in self.keys:
            raise ControlError("the key %s is already in use" % api_key)
        row = {"id": id if id is not None else max(self.tables["device"], default=0) + 1,
               "uuid": uuid, "device_name": name or self.next_name(),
               "belongs_to__application": Ref("application", self.fleet_id),
               "is_running__release": None, "is_pinned_on__release": None,
               "status": None, "update_status": None, "is_online": False, "api_port": None, "api_secret": None,
               "ip_address": None, "mac_address": None, "os_version": None, "os_variant": None,
               "supervisor_version": None, "provisioning_state": None, "provisioning_progress": None,
               "api_heartbeat_state": "unknown", "last_connectivity_event": None, "logs_channel": None,
               "cpu_usage": None, "cpu_temp": None, "cpu_id": None, "memory_usage": None, "memory_total": None,
               "storage_block_device": None, "storage_usage": None, "storage_total": None,
               "is_undervolted": False, "note": None, "created_at": now_iso(), "_deleted": False}
        if row["id"] in self.tables["device"]:
            raise ControlError("device id %s is already used" % row["id"])
        for k, v in (fields or {}).items():
            if k not in row or k.startswith("_") or k in ("id", "uuid"):
                raise ControlError("unknown device field %r" % k)
            row[k] = v
        self.insert("device", row)
        self.add_key(api_key, "device", device_id=row["id"], app_id=self.fleet_id)
        return row

    def delete_device(self, dev):
        dev["_deleted"] = True
        for k in [k for k, v in self.keys.items() if v["device_id"] == dev["id"]]:
            del self.keys[k]

    def device_view(self, dev):
        """The device's public fields plus the computed overall status."""
        view = {k: v for k, v in dev.items() if not k.startswith("_")}
        view["overall_status"], view["overall_progress"] = self._overall(dev)
        return view

    def _overall(self, dev):
        # The API computes these in SQL; the captures pin down "updating" with
        # the mean progress (16: Downloading 42 + Downloaded = 71) and
        # "reduced-functionality" for an online device without a VPN (29, 47).
        if dev["api_heartbeat_state"] != "online":
            return ("configuring" if dev["api_heartbeat_state"] == "unknown" else "disconnected"), None
        installs = [i for i in self.children("image_install", "device", dev["id"]) if i["status"] != "deleted"]
        if dev["update_status"] in ("downloading", "downloaded", "applying changes") or any(
                i["status"] == "Downloading" for i in installs):
            if not installs:
                return "updating", None
            done = [(i["download_progress"] or 0) if i["status"] == "Downloading" else 100 for i in installs]
            return "updating", js_round(sum(done) / len(done))
        return "reduced-functionality", None

    # ---- logs ----------------------------------------------------------------

    def log_received(self, seq, dev, via, line, stored, buffer=None, problem=None):
        """Keeps every received line for /__control/logs, and stores the
        accepted ones: batches at once, streamed lines after the flush
        delay, as the API does (which is why 36's lines precede 31's in 37).
        `problem`: why the line is not in the device protocol's form."""
        self.log_records.append({"seq": seq, "uuid": dev["uuid"], "via": via, "line": line,
                                 "stored": dict(stored) if stored else None, "problem": problem})
        if stored is None:
            return
        if buffer is None:
            self._store_logs(dev["id"], [stored])
            return
        if not buffer:
            # Flushes must happen in the order they were scheduled (Node runs
            # its timers in order; threads would race): one FIFO queue, and a
            # timer stores everything queued up to and including its own.
            entry = (dev["id"], buffer)
            self.flush_queue.append(entry)
            timer = threading.Timer(self.settings.log_flush_ms / 1000.0, self._flush, (entry,))
            timer.daemon = True
            timer.start()
        buffer.append(stored)
        self.pending_logs += 1

    def _flush(self, entry):
        with self.lock:
            while any(e is entry for e in self.flush_queue):
                device_id, buffer = self.flush_queue.popleft()
                self.pending_logs -= len(buffer)
                self._store_logs(device_id, list(buffer))
                buffer.clear()

    def _store_logs(self, device_id, lines):
        stored = self.logs.setdefault(device_id, [])
        stored.extend(lines)
        del stored[:-LOG_RETENTION]


def convert_log(line):
    """A received log line as the API stores it, or None when it drops it:
    non-string message, non-number timestamp or serviceId, a `uuid` field
    (35). Old-format fields are ignored, not rejected (34)."""
    if not isinstance(line, dict) or line.get("uuid"):
        return None
    number = lambda v: isinstance(v, (int, float)) and not isinstance(v, bool)
    if not isinstance(line.get("message"), str) or not number(line.get("timestamp")):
        return None
    if "serviceId" in line and line["serviceId"] is not None and not number(line["serviceId"]):
        return None
    out = {"createdAt": now_ms(), "timestamp": line["timestamp"], "isSystem": line.get("isSystem") is True,
           "isStdErr": line.get("isStdErr") is True}
    if line.get("serviceId") is not None:
        out["serviceId"] = line["serviceId"]
    out["message"] = line["message"]
    return out


def _check_release(commit, rel):
    if not isinstance(rel, dict) or not isinstance(rel.get("id"), int):
        raise ControlError("release %s needs an integer `id`" % commit)
    services = rel.get("services") or {}
    if not isinstance(services, dict):
        raise ControlError("release %s: `services` must be an object" % commit)
    for name, svc in services.items():
        if not (isinstance(svc, dict) and isinstance(svc.get("id"), int)
                and isinstance(svc.get("image_id"), int) and isinstance(svc.get("image"), str)):
            raise ControlError("release %s service %s needs integer `id`, `image_id` and a string `image`"
                               % (commit, name))

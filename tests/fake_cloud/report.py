"""What the API does with a device's reports: the state PATCH (device
fields, update status, running release, image installs) and tag writes.
Functions over the Store; captures 13-30 and 45-48 pin the rules down.
"""
import re
import time

from store import MISSING, Ref, now_iso, ref_id
from wire import api_key_required, empty, json_reply

UPDATE_STATUS_ORDER = ("rejected", "aborted", "downloading", "downloaded", "applying changes", "done")
# v3ValidPatchFields of the API: the device fields a state PATCH may write.
VALID_PATCH_FIELDS = ("status", "is_online", "os_version", "os_variant", "supervisor_version",
                      "provisioning_progress", "provisioning_state", "ip_address", "mac_address",
                      "api_port", "api_secret", "cpu_id", "is_undervolted", "update_status")
METRIC_NUMBERS = ("memory_usage", "memory_total", "storage_usage", "storage_total", "cpu_temp", "cpu_usage")
METRIC_FIELDS = METRIC_NUMBERS + ("storage_block_device",)


# ---- state report (PATCH /device/v3/state) -------------------------------------

def deny_devices(store, actor, body):
    """The checks in front of the state and tags PATCH: unknown or deleted
    uuid -> 401 empty (54, 71); no valid key -> 401 "API key required"
    (53, 64); another device's uuid -> 401 empty (62c)."""
    if not isinstance(body, dict):
        return empty(400), None
    uuids = [u for u, v in body.items() if v is not None]
    devices = [store.device_by_uuid(u) for u in uuids]
    if not uuids or None in devices:
        return empty(401), None     # `{}` names no device: 401 too (24)
    if actor is None:
        return api_key_required(), None
    if not all(store.can_see_device(actor, d) for d in devices):
        return empty(401), None
    return None, dict(zip(uuids, devices))


def patch_state(store, actor, body, seq):
    denied, devices = deny_devices(store, actor, body)
    if denied:
        return denied
    criteria = {}           # app uuid -> (reported commits, reported images)
    for uuid in devices:
        err = _collect_criteria(body[uuid], criteria)
        if err:
            return err
    plans, data = [], None
    for uuid, dev in devices.items():
        state = body[uuid]
        device_body = {k: state[k] for k in VALID_PATCH_FIELDS if k in state}
        metrics = {k: state[k] for k in METRIC_FIELDS if k in state}
        for k in METRIC_NUMBERS:
            if isinstance(metrics.get(k), (int, float)) and metrics[k] > 2**31 - 1:
                metrics[k] = 2**31 - 1
        if metrics and _metrics_due(store, uuid):
            device_body.update(metrics)
            metrics = {}
        if isinstance(device_body.get("cpu_id"), str):
            if re.search(r"[^\x20-\x7e]", device_body["cpu_id"]):
                del device_body["cpu_id"]
            else:
                device_body["cpu_id"] = device_body["cpu_id"].lower()
        apps = state.get("apps")
        if apps is None and not device_body:
            continue        # nothing the API would write (throttled metrics, unknown keys)
        # Reported releases and images must all exist, else 401 (19, 20).
        data = data or _resolve_releases(store, criteria)
        if data is None:
            return empty(401)
        releases_by_app, images = data
        if apps is not None:
            user_app = store.tables["application"][ref_id(dev["belongs_to__application"])]["uuid"]
            mine = apps.get(user_app) or {}
            running = next((r for r in releases_by_app.get(user_app, [])
                            if r["commit"] == mine.get("release_uuid")), None)
            if running:
                device_body["is_running__release"] = running["id"]
            for rel in (mine.get("releases") or {}).values():
                status = rel.get("update_status")
                if status is None:
                    continue
                cur = device_body.get("update_status")
                if cur is None or _precedence(status) < _precedence(cur):
                    device_body["update_status"] = status
        if not _valid_device_body(device_body) or not _valid_device_body(metrics):
            return empty(400)       # schema violations: 400, no body (21-23)
        _truncate(device_body)
        installs = None
        if apps is not None:
            installs = []
            for app_uuid, app in apps.items():
                for commit, rel in (app.get("releases") or {}).items():
                    release = next(r for r in releases_by_app[app_uuid] if r["commit"] == commit)
                    for svc in (rel.get("services") or {}).values():
                        location = svc["image"].split("@", 1)[0]
                        image = next((i for i in images if i["is_stored_at__image_location"] == location), None)
                        if image is None:
                            return empty(500)   # the API's InternalRequestError
                        status, progress = svc.get("status", MISSING), svc.get("download_progress", MISSING)
                        if not (status is MISSING or isinstance(status, str)) or not (
                                progress in (MISSING, None) or _is_int(progress)):
                            return empty(400)
                        installs.append((image["id"], release["id"], status, progress))
        plans.append((dev, device_body, metrics, installs))
    for dev, device_body, metrics, installs in plans:
        _apply(store, dev, device_body, metrics, installs)
    store.reports.append({"seq": seq, "time": time.time(), "body": body})
    return empty(200)


def _metrics_due(store, uuid):
    last, now = store.metrics_time.get(uuid), time.monotonic()
    if last is None or last + store.settings.metrics_interval_s < now:
        store.metrics_time[uuid] = now
        return True
    return False


def _resolve_releases(store, criteria):
    releases_by_app, images = {}, []
    for app_uuid, (commits, locations) in criteria.items():
        if not commits:
            releases_by_app[app_uuid] = []
            continue
        app = store.app_by_uuid(app_uuid)
        rels = [r for r in store.rows("release") if app is not None and r["commit"] in commits
                and r["status"] == "success" and ref_id(r["belongs_to__application"]) == app["id"]]
        if len(rels) != len(commits):
            return None
        if locations:
            # Each reported image must match one image of these releases
            # exactly: location, plus digest when one is given (19).
            filters = [(loc.split("@")[0], (loc.split("@") + [None])[1]) for loc in locations]
            found = [store.tables["image"][i] for r in rels for i in r["_image_ids"]
                     if any(store.tables["image"][i]["is_stored_at__image_location"] == loc and
                            (not digest or store.tables["image"][i]["content_hash"] == digest)
                            for loc, digest in filters)]
            if len(found) != len(locations):
                return None
            images.extend(found)
        releases_by_app[app_uuid] = rels
    return releases_by_app, images


def _apply(store, dev, device_body, metrics, installs):
    if "is_running__release" in device_body:
        device_body["is_running__release"] = Ref("release", device_body["is_running__release"])
    # The API writes only when some field differs (its `$not: body` filter),
    # and then throttled metrics ride along.
    if any(dev[k] != v for k, v in device_body.items()):
        dev.update(device_body)
        dev.update(metrics)
    if installs is None:
        return
    for image_id, release_id, status, progress in installs:
        _upsert_install(store, dev, image_id, release_id, status, progress)
    reported = {i[0] for i in installs}
    # Installs missing from a report with `apps` are kept as "deleted" (48).
    for inst in store.children("image_install", "device", dev["id"]):
        if ref_id(inst["installs__image"]) not in reported:
            inst["status"], inst["download_progress"] = "deleted", None


def _upsert_install(store, dev, image_id, release_id, status, progress):
    inst = next((i for i in store.children("image_install", "device", dev["id"])
                 if ref_id(i["installs__image"]) == image_id), None)
    if inst is None:
        store.insert("image_install", {
            "id": None, "status": None if status is MISSING else status,
            "download_progress": None if progress is MISSING else progress, "install_date": now_iso(),
            "device": Ref("device", dev["id"]), "installs__image": Ref("image", image_id),
            "is_provided_by__release": Ref("release", release_id)})
        return
    body = {"is_provided_by__release": release_id}
    if status is not MISSING:
        body["status"] = status
    if progress is not MISSING:
        body["download_progress"] = progress
    if _install_due(store, inst["id"], body):
        inst["is_provided_by__release"] = Ref("release", release_id)
        inst.update({k: v for k, v in body.items() if k != "is_provided_by__release"})


def _install_due(store, install_id, body):
    """The API's throttle: a change of download_progress alone is written
    at most every 30 s; status, release and milestone changes at once."""
    last, now = store.install_reports.get(install_id), time.monotonic()
    progress = body.get("download_progress", MISSING)
    if last is not None:
        lp = last["download_progress"]
        due = ((lp != progress and last["time"] + store.settings.download_progress_interval_s < now)
               or last["status"] != body.get("status", MISSING)
               or last["release"] != body["is_provided_by__release"]
               or (lp in (None, MISSING) and progress not in (None, MISSING))
               or (lp not in (None, MISSING) and progress in (None, MISSING))
               or progress == 100)
        if not due:
            return False
    kept = last["download_progress"] if last else MISSING
    store.install_reports[install_id] = {
        "download_progress": kept if progress is MISSING else progress,
        "status": body.get("status", MISSING), "release": body["is_provided_by__release"], "time": now}
    return True


# ---- tags (PATCH /device/v3/tags) ----------------------------------------------

def patch_tags(store, actor, body):
    denied, devices = deny_devices(store, actor, body)
    if denied:
        return denied
    for uuid in devices:
        tags = body[uuid]
        if not isinstance(tags, dict) or not tags:
            return json_reply(400, "No tags were sent to be updated.")
        for key, value in tags.items():
            if not 0 < len(key) <= 100:
                return json_reply(400, "It is necessary that each device tag has a tag key that has a "
                                       "Length (Type) that is greater than 0 and is less than or equal to 100.")
            if not isinstance(value, str):
                return json_reply(400, "fake-cloud: tag %r: the value must be a string" % key)
    for uuid, dev in devices.items():
        for key, value in body[uuid].items():
            tag = next((t for t in store.children("device_tag", "device", dev["id"]) if t["tag_key"] == key), None)
            if tag is None:     # tags not named are kept (77)
                store.insert("device_tag", {"id": None, "device": Ref("device", dev["id"]),
                                           "tag_key": key, "value": value})
            else:
                tag["value"] = value
    return empty(200)


def _precedence(status):
    return UPDATE_STATUS_ORDER.index(status) if status in UPDATE_STATUS_ORDER else None


def _is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def _collect_criteria(state, criteria):
    """Gathers the releases and images a device report names; a malformed
    report gives the 400 the API's schema would."""
    if not isinstance(state, dict):
        return empty(400)
    apps = state.get("apps")
    if apps is None:
        return None
    if not isinstance(apps, dict):
        return empty(400)
    for app_uuid, app in apps.items():
        if not isinstance(app, dict) or not isinstance(app.get("releases", {}), (dict, type(None))):
            return empty(400)
        commits, images = criteria.setdefault(app_uuid, (set(), []))
        if app.get("release_uuid"):
            commits.add(app["release_uuid"])
        for commit, rel in (app.get("releases") or {}).items():
            if not isinstance(rel, dict) or not isinstance(rel.get("services", {}), (dict, type(None))):
                return empty(400)
            commits.add(commit)
            for svc in (rel.get("services") or {}).values():
                if not isinstance(svc, dict) or not isinstance(svc.get("image"), str):
                    return empty(400)
                images.append(svc["image"])
    return None


_STR_OR_NULL = ("status", "os_version", "os_variant", "supervisor_version", "provisioning_state",
                "ip_address", "api_secret", "cpu_id", "storage_block_device")
_INT_OR_NULL = ("api_port", "provisioning_progress") + METRIC_NUMBERS


def _valid_device_body(body):
    for k, v in body.items():
        if k in _STR_OR_NULL and not (v is None or isinstance(v, str)):
            return False
        if k in _INT_OR_NULL and not (v is None or _is_int(v)):
            return False
        if k in ("is_online", "is_undervolted") and not isinstance(v, bool):
            return False
        if k == "mac_address" and not isinstance(v, str):      # not nullable (22)
            return False
        if k == "update_status" and v not in UPDATE_STATUS_ORDER:
            return False
    return True


def _truncate(body):
    # Limits from cloud-protocol.md §5.2; addresses are cut at spaces.
    for k, n in (("status", 50), ("os_version", 70), ("supervisor_version", 20), ("api_secret", 64)):
        if isinstance(body.get(k), str):
            body[k] = body[k][:n]
    for k, n in (("ip_address", 2000), ("mac_address", 900)):
        if isinstance(body.get(k), str) and len(body[k]) > n:
            kept = ""
            for part in body[k].split(" "):
                if len(kept + " " + part) <= n:
                    kept += " " + part
            body[k] = kept.strip()

"""Just enough of the API's OData v7 ("pine") for the calls the protocol doc
and the captures make: reads with $select / $filter (`field eq value`
joined by `and`) / $expand(name($select=...)) / $orderby / $top / $skip,
variable creation, and the few PATCH/DELETE by id that devices and the
captures' user make. Anything else is reported as not implemented.
"""
import re
import urllib.parse

from store import Ref, ref_id
from wire import empty, json_reply

# Resources served, with their navigation fields (those that may be expanded).
NAVIGATION = {
    "application": ("should_be_running__release",),
    "release": ("belongs_to__application",),
    "image": (),
    "device": ("belongs_to__application", "is_running__release", "is_pinned_on__release"),
    "image_install": ("device", "installs__image", "is_provided_by__release"),
    "device_tag": ("device",),
    "application_config_variable": ("application",),
    "application_environment_variable": ("application",),
    "device_config_variable": ("device",),
    "device_environment_variable": ("device",),
}
VARIABLES = {"application_config_variable": "application", "application_environment_variable": "application",
             "device_config_variable": "device", "device_environment_variable": "device"}
# What a PATCH by id may change, and who may do it (devices: their own row).
PATCHABLE = {"device": ("device_name", "note", "is_pinned_on__release"),
             "application": ("should_be_running__release",)}


class NotImplementedQuery(Exception):
    """A query shape this fake does not parse: answered 404, recorded."""


def _split_top(text, sep):
    """Splits at `sep` outside parentheses and quotes."""
    parts, depth, quote, cur = [], 0, False, ""
    for ch in text:
        if ch == "'":
            quote = not quote
        elif not quote and ch == "(":
            depth += 1
        elif not quote and ch == ")":
            depth -= 1
        if ch == sep and depth == 0 and not quote:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    return [p for p in (p.strip() for p in parts) if p]


_TERM = re.compile(r"\s*(\w+)\s+(eq|ne)\s+('(?:[^']|'')*'|-?\d+|null|true|false)\s*")
_AND = re.compile(r"and\b")


def parse_filter(text):
    """`a eq 'x' and b eq 1` -> [(field, op, value)]."""
    terms, pos = [], 0
    while True:
        m = _TERM.match(text, pos)
        if not m:
            raise NotImplementedQuery("$filter %r (only `field eq|ne value` joined by `and`)" % text)
        raw = m.group(3)
        if raw.startswith("'"):
            value = raw[1:-1].replace("''", "'")
        elif raw in ("null", "true", "false"):
            value = {"null": None, "true": True, "false": False}[raw]
        else:
            value = int(raw)
        terms.append((m.group(1), m.group(2), value))
        pos = m.end()
        if pos == len(text):
            return terms
        m = _AND.match(text, pos)
        if not m:
            raise NotImplementedQuery("$filter %r (only `and` is supported)" % text)
        pos = m.end()


def parse_options(pairs):
    """Query options (already URL-decoded) -> dict; $expand parsed into
    [(name, options)], $select into a list."""
    opts = {}
    for key, value in pairs:
        if key == "$select":
            opts[key] = [f.strip() for f in value.split(",") if f.strip()]
        elif key == "$expand":
            opts[key] = []
            for item in _split_top(value, ","):
                m = re.fullmatch(r"(\w+)(?:\((.*)\))?", item, re.S)
                if not m:
                    raise NotImplementedQuery("$expand item %r" % item)
                inner = [tuple(p.split("=", 1)) for p in _split_top(m.group(2) or "", ";")]
                if any(len(p) != 2 for p in inner):
                    raise NotImplementedQuery("$expand options %r" % m.group(2))
                opts[key].append((m.group(1), parse_options(inner)))
        elif key == "$filter":
            opts[key] = parse_filter(value)
        elif key in ("$top", "$skip"):
            if not value.isdigit():
                raise NotImplementedQuery("%s=%s" % (key, value))
            opts[key] = int(value)
        elif key == "$orderby":
            m = re.fullmatch(r"(\w+)(?:\s+(asc|desc))?", value.strip())
            if not m:
                raise NotImplementedQuery("$orderby %r" % value)
            opts[key] = (m.group(1), m.group(2) == "desc")
        else:
            raise NotImplementedQuery("query option %r" % key)
    return opts


class Pine:
    def __init__(self, store):
        self.store = store

    def handle(self, actor, method, resource, key, query, body):
        """One /v7 call. `key` is the id in `resource(<id>)` or None."""
        if resource not in NAVIGATION:
            raise NotImplementedQuery("resource %r" % resource)
        # Only users and devices read or write through pine; a provisioning
        # key gets the same empty 401 as no key (06, 56, 65).
        if actor is None or actor.kind == "provisioning":
            return empty(401, pine=True)
        if method == "GET":
            opts = parse_options(urllib.parse.parse_qsl(query, keep_blank_values=True))
            return json_reply(200, {"d": self.read(actor, resource, key, opts)}, pine=True)
        if query:
            raise NotImplementedQuery("query options on %s" % method)
        if method == "POST" and key is None and resource in VARIABLES:
            return self.create_variable(actor, resource, body)
        if method == "PATCH" and key is not None and resource in PATCHABLE:
            return self.patch(actor, resource, key, body)
        if method == "DELETE" and key is not None and resource == "device":
            dev = self.store.get("device", key)
            if actor.kind != "user" or dev is None:
                return empty(401, pine=True)
            self.store.delete_device(dev)
            return empty(200, pine=True)
        raise NotImplementedQuery("%s on %s" % (method, resource))

    # ---- reads ---------------------------------------------------------------

    def read(self, actor, table, key, opts):
        rows = [r for r in self.store.rows(table) if self.store.visible(actor, table, r)]
        if key is not None:
            rows = [r for r in rows if r["id"] == key]
        views = [self._view(table, r) for r in rows]
        for field, op, value in opts.get("$filter", []):
            if views and field not in views[0]:
                raise NotImplementedQuery("$filter on unknown field %r of %s" % (field, table))
            views = [v for v in views if (ref_id(v.get(field)) == value) == (op == "eq")]
        if "$orderby" in opts:
            field, desc = opts["$orderby"]
            views.sort(key=lambda v: (v.get(field) is None, ref_id(v.get(field))), reverse=desc)
        views = views[opts.get("$skip", 0):]
        if "$top" in opts:
            views = views[:opts["$top"]]
        return [self._shape(actor, table, v, opts) for v in views]

    def _view(self, table, row):
        if table == "device":
            return self.store.device_view(row)
        return {k: v for k, v in row.items() if not k.startswith("_")}

    def _shape(self, actor, table, view, opts):
        """One result object: expanded navigations first, then the selected
        fields in $select order (how pine orders them, captures 17, 47)."""
        out = {}
        for name, sub in opts.get("$expand", []):
            if name not in NAVIGATION[table]:
                raise NotImplementedQuery("$expand=%s on %s" % (name, table))
            ref = view.get(name)
            row = self.store.get(ref.table, ref.id) if isinstance(ref, Ref) else None
            out[name] = ([self._shape(actor, ref.table, self._view(ref.table, row), sub)]
                         if row is not None and self.store.visible(actor, ref.table, row) else [])
        for field in opts.get("$select") or list(view):
            if field in out:
                continue
            if field not in view:
                raise NotImplementedQuery("$select field %r of %s" % (field, table))
            value = view[field]
            out[field] = {"__id": value.id} if isinstance(value, Ref) else value
        return out

    # ---- writes --------------------------------------------------------------

    def create_variable(self, actor, table, body):
        owner_field = VARIABLES[table]
        if not isinstance(body, dict):
            return json_reply(400, "fake-cloud: the body must be a JSON object", pine=True)
        owner_id, name, value = body.get(owner_field), body.get("name"), body.get("value")
        owner = self.store.get(owner_field, owner_id) if isinstance(owner_id, int) else None
        if owner is None or not self.store.visible(actor, owner_field, owner):
            return empty(401, pine=True)
        # A device may create its own config variables (initial config report).
        if actor.kind == "device" and table != "device_config_variable":
            return empty(401, pine=True)
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name) or len(name) > 255:
            return json_reply(400, "fake-cloud: `name` must match ^[A-Za-z_][A-Za-z0-9_]*$", pine=True)
        if not isinstance(value, str):
            return json_reply(400, "fake-cloud: `value` must be a string", pine=True)
        if any(v["name"] == name for v in self.store.children(table, owner_field, owner_id)):
            # Not captured; the wording follows the API's other uniqueness errors.
            return json_reply(409, '"%s" and "name" must be unique.' % owner_field, pine=True)
        row = self.store.add_var(table, owner_field, owner_id, name, value)
        return json_reply(201, self._shape(actor, table, self._view(table, row), {}), pine=True,
                          headers=[("location", "/v7/%s(@id)?@id=%d" % (table, row["id"]))])

    def patch(self, actor, table, key, body):
        row = self.store.get(table, key)
        if row is None or not self.store.visible(actor, table, row):
            return empty(401, pine=True)
        if actor.kind != "user" and table != "device":
            return empty(401, pine=True)
        if not isinstance(body, dict) or not body:
            return json_reply(400, "fake-cloud: the body must be a non-empty JSON object", pine=True)
        for field, value in body.items():
            if field not in PATCHABLE[table]:
                raise NotImplementedQuery("PATCH of %s.%s" % (table, field))
            if field.endswith("__release") and value is not None:
                rel = self.store.get("release", value) if isinstance(value, int) else None
                if rel is None:
                    return json_reply(400, "fake-cloud: no release with id %r" % (value,), pine=True)
                if ref_id(rel["belongs_to__application"]) != ref_id(
                        row.get("belongs_to__application", Ref("application", row["id"]))):
                    return json_reply(400, "fake-cloud: release %s is not of this fleet" % value, pine=True)
            elif field == "device_name" and not (isinstance(value, str) and 0 < len(value) <= 255):
                return json_reply(400, "fake-cloud: device_name must be a string of 1-255 chars", pine=True)
        for field, value in body.items():
            row[field] = Ref("release", value) if field.endswith("__release") and value is not None else value
        return empty(200, pine=True)

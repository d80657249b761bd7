"""Byte-level helpers of the fake cloud: how open-balena-api (Express) frames
its answers, and how requests are read.

Everything here reproduces what the captures in
reference/cloud-captures show, so that a client tested against the fake meets
the same bytes as against the real server.
"""
import base64
import gzip
import hashlib
import json
import re
import zlib

# Express' `compression` middleware leaves bodies under 1 KiB alone (capture
# 78: 347 bytes with Accept-Encoding: gzip, plain) and gzips larger ones with
# chunked transfer (capture 79).
COMPRESS_THRESHOLD = 1024


def js_json(value):
    """JSON text as JavaScript's JSON.stringify writes it: compact, UTF-8,
    and integral floats without a fraction (JS has one number type)."""
    return json.dumps(_integral_floats(value), separators=(",", ":"), ensure_ascii=False)


def _integral_floats(value):
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    if isinstance(value, dict):
        return {k: _integral_floats(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_integral_floats(v) for v in value]
    return value


def weak_etag(body: bytes) -> str:
    """Express' default ETag: W/"<hex byte length>-<base64 sha1, 27 chars>"."""
    digest = base64.b64encode(hashlib.sha1(body).digest()).decode()[:27]
    return 'W/"%x-%s"' % (len(body), digest)


def etag_matches(if_none_match: str, etag: str) -> bool:
    """The `fresh` module's comparison: any listed tag equal to ours, weak
    prefixes ignored; `*` matches everything."""
    if if_none_match.strip() == "*":
        return True
    strip = lambda t: t.strip()[2:] if t.strip().startswith("W/") else t.strip()
    return any(strip(t) == strip(etag) for t in if_none_match.split(","))


def pick_encoding(accept_encoding: str):
    """gzip if the client takes it, else deflate, else none (Express'
    preference order). q=0 entries count as refused."""
    accepted = set()
    for part in (accept_encoding or "").split(","):
        name, _, params = part.strip().partition(";")
        if name and not re.search(r"q=0(\.0*)?\s*$", params):
            accepted.add(name.strip().lower())
    for enc in ("gzip", "deflate"):
        if enc in accepted or "*" in accepted:
            return enc
    return None


def compress(body: bytes, encoding: str) -> bytes:
    return gzip.compress(body) if encoding == "gzip" else zlib.compress(body)


class Reply:
    """One HTTP answer before framing. `kind` says how Express would frame it:
      json    res.json(value): JSON body with ETag (bare strings included)
      text    res.send(str): text/html body with ETag (the uuid 409)
      plain   a text/plain body without ETag (fake-cloud's own messages)
      badjson a JSON Content-Type over text that is not JSON (a fault)
      empty   res.status(n).end(): no body, chunked zero-length framing
      304     not modified, optionally repeating an ETag
    `pine` adds the Cache-Control: no-cache every /v7 answer carries."""

    def __init__(self, status, kind="empty", value=None, pine=False, etag=None, headers=None):
        self.status, self.kind, self.value, self.pine = status, kind, value, pine
        self.etag = etag                # for 304s: the tag to repeat
        self.headers = headers or []    # extra headers, e.g. Location
        self.close = False              # close the connection after answering
        self.delay = 0.0                # seconds to wait before answering

    def body(self) -> bytes:
        if self.kind == "json":
            return js_json(self.value).encode()
        if self.kind in ("text", "plain", "badjson"):
            return self.value.encode()
        return b""

    def content_type(self):
        return {"json": "application/json; charset=utf-8", "badjson": "application/json; charset=utf-8",
                "text": "text/html; charset=utf-8", "plain": "text/plain; charset=utf-8"}.get(self.kind)


def json_reply(status, value, pine=False, headers=None):
    return Reply(status, "json", value, pine=pine, headers=headers)


def empty(status, pine=False):
    return Reply(status, "empty", pine=pine)


# The body Express' auth layer sends when no valid API key came with a request
# that needs one (captures 53, 55, 58, 64).
def api_key_required():
    return json_reply(401, {"error": "API key required"})


class CountingReader:
    """Wraps a connection's read file and counts the bytes taken from it, so
    every request can be charged its exact size on the wire."""

    def __init__(self, raw):
        self.raw, self.count = raw, 0

    def read(self, n=-1):
        data = self.raw.read(n)
        self.count += len(data)
        return data

    def readline(self, limit=-1):
        data = self.raw.readline(limit)
        self.count += len(data)
        return data

    def close(self):
        self.raw.close()

    def __getattr__(self, name):
        return getattr(self.raw, name)


class CountingWriter:
    def __init__(self, raw):
        self.raw, self.count = raw, 0

    def write(self, data):
        self.count += len(data)
        return self.raw.write(data)

    def flush(self):
        self.raw.flush()

    def close(self):
        self.raw.close()

    def __getattr__(self, name):
        return getattr(self.raw, name)


class BodyError(Exception):
    pass


def iter_body(rfile, headers, max_chunk=65536):
    """Yields the raw (still content-encoded) request body as it arrives:
    chunked transfer decoded, or exactly Content-Length bytes."""
    if "chunked" in headers.get("Transfer-Encoding", "").lower():
        while True:
            line = rfile.readline(1024)
            if not line:
                raise BodyError("connection closed inside a chunked body")
            try:
                size = int(line.split(b";")[0].strip(), 16)
            except ValueError:
                raise BodyError("bad chunk size line %r" % line[:40])
            if size == 0:
                while rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass            # trailers: ignored
                return
            left = size
            while left:
                data = rfile.read(min(left, max_chunk))
                if not data:
                    raise BodyError("connection closed inside a chunk")
                left -= len(data)
                yield data
            rfile.readline(8)       # the CRLF after each chunk
    else:
        left = int(headers.get("Content-Length") or 0)
        while left:
            data = rfile.read(min(left, max_chunk))
            if not data:
                raise BodyError("connection closed %d bytes before the end of the body" % left)
            left -= len(data)
            yield data


class Decoder:
    """Undoes Content-Encoding incrementally (the log stream is one long
    gzip member fed chunk by chunk)."""

    def __init__(self, encoding):
        encoding = (encoding or "identity").strip().lower()
        if encoding == "gzip":
            self.z = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif encoding == "deflate":
            self.z = zlib.decompressobj()
        elif encoding == "identity":
            self.z = None
        else:
            raise BodyError("unsupported Content-Encoding %r" % encoding)

    def feed(self, data: bytes) -> bytes:
        if self.z is None:
            return data
        try:
            return self.z.decompress(data)
        except zlib.error as e:
            raise BodyError("body is not valid %s: %s" % ("gzip/deflate", e))

    def finish(self) -> bytes:
        if self.z is None:
            return b""
        out = self.z.flush()
        if not self.z.eof:
            raise BodyError("compressed body ended before its end marker")
        return out

"""Static files: fingerprinted URLs (a content hash in the name), gzipped once, cached for a year by browsers."""

from __future__ import annotations

import gzip
import hashlib
import logging
import mimetypes
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from starlette.datastructures import Headers
from starlette.middleware.gzip import DEFAULT_EXCLUDED_CONTENT_TYPES, GZipMiddleware
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

log = logging.getLogger(__name__)

HASH_LENGTH = 12
# How often the directory is looked at again, so an edited file gets a new URL without a restart.
RECHECK_S = 1.0
# A fingerprinted URL names one exact content, so it may be kept forever and never asked about again.
IMMUTABLE = "public, max-age=31536000, immutable"
# The plain path (pages rendered before a deploy, hand-typed URLs) stays valid but is checked on each use.
REVALIDATE = "public, no-cache"
# Below this, gzip's header and the Vary it brings cost more than they save.
MIN_COMPRESS_BYTES = 512
# An absolute /static/ specifier in an ES module (`from "…"`, `import "…"`, `import("…")`). Rewriting it to the
# imported file's fingerprinted URL keeps a module graph immutable together: the importer's hash covers the
# hashes of what it imports, so a changed dependency changes every URL above it.
_IMPORT = re.compile(r"""(\bfrom\s*|\bimport\s*\(?\s*)(["'])(/static/[^"'\s]+)\2""")
_HASHED = re.compile(rf"^(?P<stem>.+)\.(?P<digest>[0-9a-f]{{{HASH_LENGTH}}})(?P<suffix>\.[^./]+)?$")
_MEDIA_TYPES = {".js": "text/javascript; charset=utf-8", ".mjs": "text/javascript; charset=utf-8",
                ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml", ".json": "application/json",
                ".txt": "text/plain; charset=utf-8", ".md": "text/plain; charset=utf-8",
                ".sh": "text/plain; charset=utf-8", ".html": "text/html; charset=utf-8"}


@dataclass(frozen=True)
class Asset:
    """One file as served: its bytes (imports rewritten), their gzip (None when it would not pay) and hash."""

    path: str
    body: bytes
    gzipped: bytes | None
    digest: str
    media_type: str

    @property
    def hashed_path(self) -> str:
        pure = PurePosixPath(self.path)
        if pure.suffix:
            return str(pure.with_name(f"{pure.stem}.{self.digest}{pure.suffix}"))
        return f"{self.path}.{self.digest}"


def _media_type(path: str) -> str:
    suffix = PurePosixPath(path).suffix.lower()
    return _MEDIA_TYPES.get(suffix) or mimetypes.guess_type(path)[0] or "application/octet-stream"


def _compress(body: bytes) -> bytes | None:
    if len(body) < MIN_COMPRESS_BYTES:
        return None
    packed = gzip.compress(body, compresslevel=9, mtime=0)  # mtime=0: the same bytes on every start
    return packed if len(packed) < len(body) * 0.9 else None


def _build(raw: dict[str, bytes], prefix: str) -> dict[str, Asset]:
    """Fingerprints every file, rewriting JS imports of other static files first (depth first; a cycle is an
    error, since no hash could cover it)."""
    assets: dict[str, Asset] = {}
    visiting: list[str] = []

    def build(path: str) -> Asset:
        if path in assets:
            return assets[path]
        if path in visiting:
            raise ValueError(f"static/: import cycle {' -> '.join([*visiting, path])}; fingerprints need a tree")
        visiting.append(path)
        body = raw[path]
        if path.endswith((".js", ".mjs")) and prefix.encode() + b"/" in body:
            def fingerprint(match: re.Match[str]) -> str:
                target = match.group(3).removeprefix(prefix + "/")
                if target not in raw:
                    return match.group(0)  # left as written: it 404s in the browser, where a test sees it
                return f"{match.group(1)}{match.group(2)}{prefix}/{build(target).hashed_path}{match.group(2)}"
            body = _IMPORT.sub(fingerprint, body.decode("utf-8")).encode("utf-8")
        visiting.pop()
        asset = Asset(path=path, body=body, gzipped=_compress(body), media_type=_media_type(path),
                      digest=hashlib.sha256(body).hexdigest()[:HASH_LENGTH])
        assets[path] = asset
        return asset

    for path in sorted(raw):
        build(path)
    return assets


def _read(directory: Path) -> dict[str, bytes]:
    root = directory.resolve()
    files: dict[str, bytes] = {}
    for file in sorted(root.rglob("*")):
        relative = file.relative_to(root)
        # Hidden files and symlinks are never served (a link could point anywhere).
        if any(part.startswith(".") for part in relative.parts) or file.is_symlink() or not file.is_file():
            continue
        files[relative.as_posix()] = file.read_bytes()
    return files


_LOADED: dict[tuple[Path, str, tuple[tuple[str, int, int], ...]], dict[str, Asset]] = {}
_LOADED_LOCK = threading.Lock()


def _signature(directory: Path) -> tuple[tuple[str, int, int], ...]:
    stats = []
    for file in sorted(directory.rglob("*")):
        if file.is_file():
            stat = file.stat()
            stats.append((file.as_posix(), stat.st_mtime_ns, stat.st_size))
    return tuple(stats)


def _load(directory: Path, prefix: str) -> dict[str, Asset]:
    """The directory's assets, built once per content (apps made by tests share them: gzip costs ~0.25 s)."""
    key = (directory, prefix, _signature(directory))
    with _LOADED_LOCK:
        if key not in _LOADED:
            _LOADED.clear()  # one directory per process in practice; do not keep stale copies
            _LOADED[key] = _build(_read(directory), prefix)
        return _LOADED[key]


def _accepts_gzip(accept_encoding: str) -> bool:
    """Whether an Accept-Encoding header allows gzip (an explicit `gzip` entry wins over `*`; q=0 refuses)."""
    weights: dict[str, float] = {}
    for item in accept_encoding.split(","):
        name, *params = (part.strip() for part in item.split(";"))
        weight = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        weights[name.lower()] = weight
    return weights.get("gzip", weights.get("*", 0.0)) > 0


class StaticAssets:
    """An ASGI app for /static: `url(path)` gives a file's fingerprinted URL (templates call it as
    `static_url`), which is answered with a year-long immutable cache; the plain path is answered too, with
    a revalidating cache; a wrong or old fingerprint is 404. Files are read, hashed and gzipped once (and
    again when a file under the directory changes)."""

    def __init__(self, directory: Path, prefix: str = "/static") -> None:
        self.directory = directory.resolve()
        self.prefix = prefix
        self._assets = _load(self.directory, prefix)  # a broken directory (an import cycle) stops the start
        self._checked = time.monotonic()

    @property
    def assets(self) -> dict[str, Asset]:
        """The current files: re-read when one changed (checked at most every RECHECK_S); a broken edit is
        logged and the last good set kept."""
        if time.monotonic() - self._checked >= RECHECK_S:
            self._checked = time.monotonic()
            try:
                self._assets = _load(self.directory, self.prefix)
            except (OSError, ValueError):
                log.exception("static/ changed but cannot be served; keeping the previous files")
        return self._assets

    def url(self, path: str) -> str:
        """The fingerprinted URL of static/<path>; an unknown path is a bug in a template, so it raises."""
        try:
            return f"{self.prefix}/{self.assets[path].hashed_path}"
        except KeyError:
            raise LookupError(f"static file not found: {path!r} (under {self.prefix})") from None

    def find(self, path: str) -> tuple[Asset, bool] | None:
        """(asset, fingerprinted?) for a URL path under the prefix, or None."""
        if path in self.assets:
            return self.assets[path], False
        match = _HASHED.match(path)
        if match:
            asset = self.assets.get(match["stem"] + (match["suffix"] or ""))
            if asset is not None and asset.digest == match["digest"]:
                return asset, True
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert scope["type"] == "http"
        response = self.respond(scope)
        await response(scope, receive, send)

    def respond(self, scope: Scope) -> Response:
        if scope["method"] not in ("GET", "HEAD"):
            return PlainTextResponse("Method Not Allowed", status_code=405, headers={"Allow": "GET, HEAD"})
        root = scope.get("root_path", "")
        path = scope["path"][len(root):] if root and scope["path"].startswith(root) else scope["path"]
        found = self.find(path.removeprefix(self.prefix).lstrip("/"))
        if found is None:
            return PlainTextResponse("Not Found", status_code=404)
        asset, fingerprinted = found
        request_headers = Headers(scope=scope)
        headers = {"Cache-Control": IMMUTABLE if fingerprinted else REVALIDATE}
        body = asset.body
        etag = f'"{asset.digest}"'
        if asset.gzipped is not None:
            headers["Vary"] = "Accept-Encoding"
            if _accepts_gzip(request_headers.get("accept-encoding", "")):
                body, etag = asset.gzipped, f'"{asset.digest}-gzip"'
                headers["Content-Encoding"] = "gzip"
        headers["ETag"] = etag
        if etag in {tag.strip().removeprefix("W/") for tag in request_headers.get("if-none-match", "").split(",")}:
            return Response(status_code=304, headers=headers)
        headers["Content-Length"] = str(len(body))
        return Response(b"" if scope["method"] == "HEAD" else body, headers=headers, media_type=asset.media_type)


class DynamicGZip(GZipMiddleware):
    """Starlette's GZip for JSON and other dynamic text, never Server-Sent Events (Starlette passes
    text/event-stream through as sent). Files under the static prefix come gzipped from StaticAssets.

    HTML stays uncompressed unless `compress_html`: every page carries this browser's CSRF token and some pages
    reflect what the URL says (/login?next=...), so compressed pages would let an observer of response sizes guess
    an unchanging token (BREACH). The app turns it on because app/csrf.py masks the token afresh in each response."""

    def __init__(self, app: ASGIApp, minimum_size: int = 1024, static_prefix: str = "/static/",
                 compress_html: bool = False) -> None:
        excluded = DEFAULT_EXCLUDED_CONTENT_TYPES + (() if compress_html else ("text/html",))
        super().__init__(app, minimum_size=minimum_size, exclude_content_types=excluded)
        self.inner = app
        self.static_prefix = static_prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(self.static_prefix):
            await self.inner(scope, receive, send)
        else:
            await super().__call__(scope, receive, send)

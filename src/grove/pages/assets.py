"""The pages' static files (``src/grove/static/*.css``, ``*.js``) and their content-hashed URLs.

Each file is served at ``/static/{stem}.{hash}{suffix}`` (``/static/reader.3f2a….css``), the
hash being the first hex digits of the SHA-256 of its bytes, so a URL names one exact content
and may be cached for a year (``grove.cache_policy.STATIC_ASSET_CACHE_CONTROL``). Any other
name, including an older hash of the same file, is not an asset.

The files are read once, at import, from the package folder: on CPython that is ``src/``; on
Cloudflare it is workerd's ``/session/metadata``, where every Text and Data module of the
upload appears as a file under its module name (workerd ``src/workerd/io/worker-modules.c++``,
``createPyodideMetadataState``; mounted by ``src/pyodide/internal/metadatafs.ts``).
``wrangler.toml``'s ``[[rules]]`` upload them as Text modules; ``tests/deploy/`` checks that
every file here is in the upload, and ``tests/scenarios/test_scenario_static_assets.py`` that
the Worker serves the exact bytes in both lanes. Reading at import (not per request) also puts
them in the deploy-time memory snapshot.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

STATIC_PATH_PREFIX = "/static/"
# What is served, by suffix; wrangler.toml's [[rules]] globs name the same suffixes.
CONTENT_TYPES = {
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
}
# 64 bits of SHA-256: no accidental collision among a handful of files, short URLs.
HASH_HEX_CHARS = 16


@dataclass(frozen=True)
class Asset:
    name: str  # the file's name in the static folder, e.g. "reader.css"
    body: bytes
    content_type: str
    sha256_hex: str

    @property
    def hashed_name(self) -> str:
        stem, dot, suffix = self.name.rpartition(".")
        return f"{stem}.{self.sha256_hex[:HASH_HEX_CHARS]}{dot}{suffix}"

    @property
    def url(self) -> str:
        return STATIC_PATH_PREFIX + self.hashed_name


class AssetSet:
    """The static files by name (for pages) and by hashed name (for the static route)."""

    def __init__(self, assets: Iterable[Asset]) -> None:
        self._by_name = {asset.name: asset for asset in assets}
        self._by_hashed_name = {asset.hashed_name: asset for asset in self._by_name.values()}
        # One digest over every file: a page built with other assets (an older deploy) names
        # URLs this deploy no longer serves.
        listing = "".join(f"{a.name}\0{a.sha256_hex}\n" for a in sorted(self._by_name.values(), key=lambda a: a.name))
        self.version = hashlib.sha256(listing.encode("utf-8")).hexdigest()[:HASH_HEX_CHARS]

    @classmethod
    def from_folder(cls, folder: Path) -> AssetSet:
        assets: list[Asset] = []
        for entry in folder.iterdir():
            suffix = "." + entry.name.rpartition(".")[2]
            if entry.is_file() and suffix in CONTENT_TYPES:
                body = entry.read_bytes()
                assets.append(Asset(entry.name, body, CONTENT_TYPES[suffix], hashlib.sha256(body).hexdigest()))
        return cls(assets)

    def url(self, name: str) -> str:
        """The URL a page links to; a missing file is a KeyError (a broken build, not a 404)."""
        return self._by_name[name].url

    def by_hashed_name(self, hashed_name: str) -> Asset | None:
        return self._by_hashed_name.get(hashed_name)

    def names(self) -> list[str]:
        return sorted(self._by_name)


# A plain path next to this package, not importlib.resources: the modules are plain files in
# both runtimes, and importlib.resources cost ~25 ms of the import under Pyodide.
ASSETS = AssetSet.from_folder(Path(__file__).resolve().parent.parent / "static")

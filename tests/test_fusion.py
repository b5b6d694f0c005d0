"""Fusion helpers, the engine's public surface and tuning without side effects."""

from __future__ import annotations

from dataclasses import asdict, fields

import numpy as np

from langso_search.corpus import Platform
from langso_search.evaluate import load_queries
from langso_search.fusion import FusionWeights, fuse, lift_lacking, maxnorm, minmax, prefer_domestic
from langso_search.search import Engine
from langso_search.settings import ROOT
from langso_search.tuning import DEFAULT_GRID, tune


def test_minmax_ignores_infinities_for_its_bounds() -> None:
    values = np.array([1.0, 3.0, -np.inf, 2.0, np.inf], dtype=np.float32)
    out = minmax(values)
    assert out.dtype == np.float32
    assert out[[0, 1, 3]].tolist() == [0.0, 1.0, 0.5]
    assert out[2] == -np.inf and out[4] == np.inf
    assert minmax(np.array([2.0, 2.0, -np.inf])).tolist() == [0.0, 0.0, -np.inf]
    assert minmax(np.array([-np.inf, np.inf])).tolist() == [-np.inf, np.inf]


def test_maxnorm_scales_by_the_finite_maximum() -> None:
    assert maxnorm(np.array([1.0, 4.0, 2.0])).tolist() == [0.25, 1.0, 0.5]
    assert maxnorm(np.array([0.0, -1.0])).tolist() == [0.0, 0.0]
    out = maxnorm(np.array([2.0, 4.0, np.inf]))
    assert out[:2].tolist() == [0.5, 1.0] and out[2] == np.inf


def test_public_surface_matches_the_index(small_engine: Engine) -> None:
    passages = small_engine.built.passages
    for row, item in enumerate(small_engine.items):
        assert small_engine.row_of(item.id) == row
        rows = list(small_engine.passage_rows(row))
        assert rows == [i for i, p in enumerate(passages) if p.item_id == item.id]
    vectors = small_engine.passage_vectors([0, 1])
    assert np.allclose(vectors, small_engine.built.dense.reconstruct_n(0, 2))
    before = set(vars(small_engine))
    from langso_search.confidence import corpus_words
    from langso_search.recommend import recommend

    corpus_words(small_engine)
    recommend(small_engine, item_id=small_engine.items[0].id, k=2)
    assert set(vars(small_engine)) == before  # nobody attaches state to the engine


def test_item_types_answer_for_themselves(small_engine: Engine) -> None:
    for item in small_engine.items:
        assert item.summary_text == (item.summary if isinstance(item, Platform) else item.problem)
        assert bool(item.name_forms()) == (item.type == "platform")
        assert item.facets()["type"] == [item.type]


def test_tune_returns_weights_and_leaves_the_engine_alone(small_engine: Engine) -> None:
    shipped = FusionWeights()
    for key, grid in DEFAULT_GRID.items():  # the default grid brackets the shipped value
        value = getattr(shipped, key)
        assert value in grid
        assert min(grid) < value < max(grid) or value == 0.0 == min(grid)
    ids = {item.id for item in small_engine.items}
    queries = [q for q in load_queries(ROOT / "data/eval/queries.jsonl") if set(q.relevant) & ids][:20]
    weights = small_engine.weights
    rows = tune(small_engine, queries, grid={"dense": (0.25, 0.6), "name": (0.2,)})
    assert small_engine.weights is weights and asdict(weights) == asdict(shipped)
    assert len(rows) == 2 and {r["fusion"].dense for r in rows} == {0.25, 0.6}
    assert all(isinstance(r["fusion"], FusionWeights) for r in rows)
    assert {f.name for f in fields(FusionWeights)} >= set(DEFAULT_GRID)


def test_engine_fusion_is_the_fusion_module(small_engine: Engine) -> None:
    q = small_engine.analyse("bán hàng trên mạng")
    fused, parts = small_engine.score(q)
    mixed = fuse(small_engine.weights, q, parts["dense"], parts["lexical"], parts["name"])
    direct = small_engine.adjust(q, mixed, parts["dense"], parts["name"])
    assert np.array_equal(fused, direct)
    other = FusionWeights(dense=0.9)
    assert not np.array_equal(small_engine.fuse(q, parts["dense"], parts["lexical"], parts["name"], other),
                              small_engine.fuse(q, parts["dense"], parts["lexical"], parts["name"]))


def test_lift_lacking_raises_only_the_items_that_state_the_lack() -> None:
    fused = np.array([1.0, 0.8, 0.5], dtype=np.float32)
    states = np.array([False, True, False])
    lifted = lift_lacking(fused, states, 0.3)
    assert lifted.dtype == np.float32
    assert np.allclose(lifted, [1.0, 1.04, 0.5])
    assert lift_lacking(fused, np.zeros(3, dtype=bool), 0.3) is fused
    assert lift_lacking(fused, states, 0.0) is fused


def _domestic_case(sectors: np.ndarray | None = None, **change: float) -> np.ndarray:
    """rows: 0 story, 1 foreign platform lifted by the story, 2 domestic platform, 3 domestic platform."""
    own = np.array([1.0, 0.35, 0.38, 0.30], dtype=np.float32)
    dense = np.array([1.0, 0.49, 0.63, 0.60], dtype=np.float32)
    named = np.zeros(4, dtype=np.float32)
    for key, value in change.items():
        array, row = {"own_foreign": (own, 1), "dense_domestic": (dense, 2), "named_foreign": (named, 1)}[key]
        array[row] = value
    lifted = own.copy()
    lifted[1] = 0.75  # used by the story
    platform = np.array([False, True, True, True])
    foreign = np.array([False, True, False, False])
    return prefer_domestic(lifted, own, dense, named, platform, foreign, 0.3, sectors)


def test_a_lifted_foreign_platform_yields_to_the_best_fitting_domestic_one() -> None:
    out = _domestic_case()
    assert list(np.argsort(-out, kind="stable")) == [0, 2, 1, 3]  # the domestic one just ahead of it
    assert out[1] == np.float32(0.75) and out[3] == np.float32(0.30)  # nothing else moves


def test_a_foreign_platform_stays_when_it_fits_better_or_was_named() -> None:
    unchanged = [0, 1, 2, 3]
    assert list(np.argsort(-_domestic_case(own_foreign=0.5), kind="stable")) == unchanged  # fits better itself
    assert list(np.argsort(-_domestic_case(dense_domestic=0.4), kind="stable")) == unchanged  # fits less in meaning
    assert list(np.argsort(-_domestic_case(named_foreign=1.0), kind="stable")) == unchanged  # "bán qua fb"


def test_a_domestic_platform_replaces_only_one_that_does_the_same_job() -> None:
    """Sectors (values × items): e-commerce, public services. The foreign platform sells; a domestic
    public-services app that fits better (a city's app, matched on the city's name) must not take its place."""
    selling = np.array([[False, True, False, True], [False, False, True, False]])  # row 2 is a services app
    assert list(np.argsort(-_domestic_case(selling), kind="stable")) == [0, 1, 2, 3]
    both = np.array([[False, True, True, True], [False, False, True, False]])  # row 2 also sells
    assert list(np.argsort(-_domestic_case(both), kind="stable")) == [0, 2, 1, 3]

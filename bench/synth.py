"""Synthetic corpora for scale benchmarks: N valid items recombined from the real ones, seeded.

* :func:`synth_corpus` keeps the real platforms and adds stories whose fields are recombined from
  real stories: sentences of problems / approaches / results are sampled from the pools of all
  stories, a title is the first half of one real title and the second half of another, the location
  (with its people, ethnic groups and source) comes whole from one story so that province and region
  agree, sectors / audiences / platform links from others. Every story validates against the corpus
  schema (:class:`langso_search.corpus.Story`). Same ``seed`` and ``n`` → the same items, in order.
* :class:`HashPassageEmbedder` encodes *passages* with a cheap deterministic hashed bag of folded
  syllables and syllable bigrams (384 dims, L2-normalised), and *queries* with the real encoder it
  wraps. The dense scores are then meaningless for quality (the two spaces do not agree): they are
  only there to make the dense index the right size and shape for measuring speed and memory.
"""

from __future__ import annotations

import hashlib
import re
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from langso_search.corpus import Corpus, Story, load_corpus
from langso_search.embed import Embedder
from langso_search.text import fold, syllables

_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def _pool(texts: Sequence[str]) -> list[str]:
    return sorted({s.strip() for t in texts for s in _SENTENCE.split(t) if len(s.strip()) >= 10})


def _pick(rng: np.random.Generator, pool: list[str], lo: int, hi: int, min_chars: int) -> str:
    """``lo``..``hi`` sentences from ``pool`` (more until ``min_chars`` is reached)."""
    out: list[str] = []
    want = int(rng.integers(lo, hi + 1))
    while len(out) < want or len(" ".join(out)) < min_chars:
        out.append(pool[int(rng.integers(len(pool)))])
    return " ".join(out)


def _title(rng: np.random.Generator, titles: list[str]) -> str:
    a, b = (titles[int(i)].split() for i in rng.integers(len(titles), size=2))
    return " ".join(a[: max(2, len(a) // 2)] + b[len(b) // 2 :])


def synth_stories(real: Corpus, n: int, seed: int = 0) -> list[Story]:
    """``n`` synthetic stories (ids ``synth-000000`` …) recombined from ``real.stories``."""
    rng = np.random.default_rng(seed)
    base = real.stories
    problems = _pool([s.problem for s in base])
    approaches = _pool([s.approach for s in base])
    results = _pool([s.result for s in base])
    lessons = sorted({x for s in base for x in s.lessons})
    titles = [s.title for s in base]
    out: list[Story] = []
    for i in range(n):
        place, topic, aud, link = (base[int(j)] for j in rng.integers(len(base), size=4))
        raw = place.model_dump(mode="json", exclude={"id", "checked"})
        raw.update(
            id=f"synth-{i:06d}",
            title=_title(rng, titles),
            sectors=topic.sectors,
            audiences=aud.audiences,
            problem=_pick(rng, problems, 1, 3, 20),
            approach=_pick(rng, approaches, 1, 3, 20),
            result=_pick(rng, results, 1, 2, 10),
            lessons=[lessons[int(j)] for j in rng.choice(len(lessons), size=int(rng.integers(1, 4)), replace=False)],
            platform_ids=link.platform_ids,
            tools=link.tools,
            year=int(rng.integers(2019, 2027)),
        )
        out.append(Story.model_validate(raw))
    return out


def synth_corpus(data_dir: Path, n_items: int, seed: int = 0) -> Corpus:
    """The real platforms plus ``n_items - len(platforms)`` synthetic stories (``n_items`` in all)."""
    real = load_corpus(data_dir)
    stories = synth_stories(real, max(0, n_items - len(real.platforms)), seed)
    digest = hashlib.sha256(f"synth|{real.digest}|{n_items}|{seed}".encode()).hexdigest()
    return Corpus(platforms=list(real.platforms), stories=stories, digest=digest)


class HashPassageEmbedder:
    """Passages: hashed bag of folded syllables + bigrams → ``dim`` floats, L2-normalised (cheap,
    deterministic). Queries: the wrapped real encoder (or, with none, the same hashing: then dense
    similarity is word overlap, enough for tests that compare two index kinds). For speed and memory
    measurements only."""

    def __init__(self, query_encoder: Embedder | None = None, dim: int = 384) -> None:
        self.query_encoder = query_encoder
        self._dim = int(query_encoder.dim if query_encoder is not None else dim)
        self._slots: dict[str, tuple[int, float]] = {}

    @property
    def dim(self) -> int:
        return self._dim

    @property
    def model_id(self) -> str:
        queries = self.query_encoder.model_id if self.query_encoder is not None else "hash"
        return f"synth-hash-{self._dim}/v1+queries:{queries}"

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        if self.query_encoder is None:
            return self.encode_passages(texts)
        return self.query_encoder.encode_queries(texts)

    def _slot(self, token: str) -> tuple[int, float]:
        slot = self._slots.get(token)
        if slot is None:
            h = zlib.crc32(token.encode("utf-8"))
            slot = self._slots[token] = (h % self._dim, 1.0 if (h >> 16) & 1 else -1.0)
        return slot

    def encode_one(self, text: str) -> np.ndarray:
        folded = [fold(s) for s in syllables(text)]
        tokens = folded + [f"{a} {b}" for a, b in zip(folded, folded[1:])]
        vec = np.zeros(self._dim, dtype=np.float32)
        if tokens:
            idx, sign = zip(*(self._slot(t) for t in tokens))
            np.add.at(vec, np.asarray(idx), np.asarray(sign, dtype=np.float32))
        norm = float(np.linalg.norm(vec))
        if norm == 0:
            vec[0], norm = 1.0, 1.0
        return vec / norm

    def encode_passages(
        self, texts: Sequence[str], progress: Callable[[int], None] | None = None
    ) -> np.ndarray:
        out = np.zeros((len(texts), self._dim), dtype=np.float32)
        for start in range(0, len(texts), 1024):
            chunk = texts[start : start + 1024]
            for j, text in enumerate(chunk):
                out[start + j] = self.encode_one(text)
            if progress:
                progress(len(chunk))
        return out

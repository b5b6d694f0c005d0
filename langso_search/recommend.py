"""Recommend: related stories and platforms for an item, a problem text and/or a commune profile.

Relevance mixes meaning (the engine's fused search score, or passage-vector similarity for an item)
with structure (same province or region, terrain, ethnic group, sector, audience; stories ↔
platforms through ``platform_ids``). The list is then diversified with maximal marginal relevance so
the top five are not five near-copies, and each hit gets a short Vietnamese ``reason`` in which every
phrase is true:

* "cùng bài toán “…”" only when the asker's problem is close (raw cosine above a threshold fitted on
  ``data/eval/reasons.jsonl``) to one of the item's *problem statements* — a platform's ``problems``,
  or a sentence of a story's ``problem`` that states a difficulty (no figures, no setting) — and the
  quote is that statement;
* each profile value the item really shares ("cùng tỉnh Cà Mau", "cũng là đồng bào Mông" …);
* platforms for a profile or a problem come from the stories that fit, or from a true problem match,
  never from popularity; no phrase is said twice.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .arrays import top_stable
from .confidence import assess
from .corpus import Item, Story
from .fusion import minmax
from .profile_fit import profile_scores, region_of
from .reasons import (
    SAME_PROBLEM,
    SAME_PROBLEM_ITEMS,
    Profile,
    _problem_rows,
    content_words,
    join_reason,
    link_reason,
    no_local_story_note,
    problem_statements,
    profile_match,
    same_problem_phrase,
)
from .search import Engine, Hit

__all__ = ["Profile", "Recommendation", "UnknownItem", "recommend"]

MMR_LAMBDA = 0.75  # 1.0 = pure relevance, lower = more diverse
PROFILE_WEIGHT = 0.5  # weight of profile_match (0–1) beside the text relevance (0–0.7 with a profile)


class UnknownItem(KeyError):
    """The item id is not in the corpus."""


@dataclass
class Recommendation:
    stories: list[Hit]
    platforms: list[Hit]
    no_match: bool = False  # the text fits nothing in the corpus (then, without profile or item, no hits)
    confidence: float = 1.0
    note: str | None = None  # said once: no story from the official's province or region


# ---------------------------------------------------------------------------- helpers


def item_vectors(engine: Engine) -> np.ndarray:
    """One unit vector per item: the mean of its passage vectors (see :meth:`Engine.item_vectors`)."""
    return engine.item_vectors()


def _mmr(candidates: list[int], relevance: np.ndarray, vectors: np.ndarray, k: int) -> list[int]:
    chosen: list[int] = []
    pool = list(candidates)
    while pool and len(chosen) < k:
        penalty = (vectors[pool] @ vectors[chosen].T).max(axis=1) if chosen else np.zeros(len(pool))
        mmr = MMR_LAMBDA * relevance[pool] - (1 - MMR_LAMBDA) * penalty
        best = pool[int(np.argmax(mmr))]
        chosen.append(best)
        pool.remove(best)
    return chosen


def _links(engine: Engine, source: Item) -> list[str]:
    return source.linked_ids(engine.corpus)


def _places(stories: list[Story]) -> str:
    return ", ".join(list(dict.fromkeys(s.location.province for s in stories))[:3])


# ---------------------------------------------------------------------------- recommend


@dataclass
class _Ask:
    """What the request says about the asker's problem, for "cùng bài toán"."""

    probe: np.ndarray | None = None  # vectors standing for the asker's problem (rows)
    words: frozenset[str] = frozenset()  # its folded syllables (to pick a story's statement)
    threshold: float = SAME_PROBLEM
    # rows the text itself finds: search score ≥ half the best, the bar facets use for "relevant"
    named: frozenset[int] = frozenset()
    lacking: frozenset[str] = frozenset()  # what the asker says is missing ("không có tài khoản")

    def same_problem(self, engine: Engine, row: int) -> str | None:
        return same_problem_phrase(engine, row, self.probe, self.words, self.threshold, self.lacking)


def recommend(
    engine: Engine,
    text: str | None = None,
    item_id: str | None = None,
    profile: Profile | None = None,
    k: int = 5,
) -> Recommendation:
    """Stories and platforms that fit an item, a problem text and/or a profile, with true reasons."""
    profile = profile or Profile()
    text = (text or "").strip() or None
    n = len(engine.items)
    vectors = item_vectors(engine)
    relevance = np.zeros(n, dtype=np.float32)
    ask, source = _Ask(), None
    confidence, no_match = 1.0, False
    if text:
        q = engine.analyse(text)
        fused, parts = engine.score(q)
        confidence, no_match = assess(engine, q, parts.get("name"))
        if no_match and item_id is None and profile.is_empty():
            return Recommendation([], [], no_match, confidence)
        if not no_match:
            scaled = _scaled(fused)
            relevance += scaled * (1.0 if profile.is_empty() else 0.7)
            ask = _Ask(engine.cache.encode(q.restored)[None, :], frozenset(content_words(q.restored)),
                       named=frozenset(int(i) for i in np.flatnonzero(scaled >= 0.5)),
                       lacking=q.lacked_words)
    elif item_id is None:  # a profile alone is searched as a sentence, at a lower weight
        fused, _ = engine.score(engine.analyse(profile.as_text()))
        relevance += _scaled(fused) * 0.4
    if item_id is not None:
        source = engine.corpus.get(item_id)
        if source is None:
            raise UnknownItem(item_id)
        row = engine.row_of(item_id)
        relevance += minmax(vectors @ vectors[row]) * (0.6 if text else 1.0)
        for other in _links(engine, source):
            relevance[engine.row_of(other)] += 0.5
        relevance[row] = -np.inf
        if ask.probe is None:
            ask = _source_problem(engine, row)
    region = region_of(engine, profile.province)
    if not profile.is_empty():  # as float32 steps, exactly as adding each item's profile_match score
        relevance += (PROFILE_WEIGHT * profile_scores(engine, profile, region)).astype(np.float32)
    phrases = _Shared(engine, profile, region)
    story_rows = _pick(engine, relevance, vectors, k, "story")
    about = text or (profile.as_text() if not profile.is_empty() else None)  # what snippets are chosen for
    stories = [_hit(engine, i, relevance, _story_reason(engine, i, ask, source, phrases[i]), about)
               for i in story_rows]
    note = no_local_story_note(engine, profile, region, stories)
    if note and stories:
        stories[0].explain["reason"] = join_reason([note, *stories[0].explain["reason"].split(", ")])
    platforms = _platforms(engine, relevance, vectors, k, ask, source, profile, phrases, about)
    return Recommendation(stories, platforms, no_match, confidence, note)


def _scaled(fused: np.ndarray) -> np.ndarray:
    top = float(fused.max()) if len(fused) else 0.0
    return (fused / top if top > 0 else fused).astype(np.float32)


def _source_problem(engine: Engine, row: int) -> _Ask:
    """For "similar to this item": the item's own problem passages stand for the asker's problem."""
    rows = _problem_rows(engine, row)
    if not rows:
        return _Ask()
    words = frozenset(w for st in problem_statements(engine.items[row]) for w in content_words(st))
    return _Ask(engine.passage_vectors(rows), words, SAME_PROBLEM_ITEMS)


class _Shared(dict[int, list[str]]):
    """Row → the profile phrases that item truly shares (``reasons.profile_match``), worded on first
    use: only the few items a recommendation looks at, never every item of the corpus."""

    def __init__(self, engine: Engine, profile: Profile, region: str | None) -> None:
        super().__init__()
        self.engine, self.profile, self.region = engine, profile, region

    def __missing__(self, row: int) -> list[str]:
        shared = [] if self.profile.is_empty() else profile_match(self.engine.items[row], self.profile, self.region)[1]
        self[row] = shared
        return shared


def _rows_of(engine: Engine, kind: str) -> np.ndarray:
    return np.flatnonzero(engine.facet_index.value_mask("type", kind))


def _pick(engine: Engine, relevance: np.ndarray, vectors: np.ndarray, k: int, kind: str,
          allowed: set[int] | None = None) -> list[int]:
    rows = _rows_of(engine, kind)
    rows = rows[np.isfinite(relevance[rows])]
    if allowed is not None:
        rows = rows[np.isin(rows, np.fromiter(allowed, dtype=np.int64, count=len(allowed)))]
    return _mmr([int(i) for i in top_stable(relevance, rows, max(4 * k, 20))], relevance, vectors, k)


def _hit(engine: Engine, row: int, relevance: np.ndarray, reason: str, about: str | None) -> Hit:
    item = engine.items[row]
    snippet = engine.snippet(row, engine.analyse(about or item.title))
    return Hit(item, float(relevance[row]), snippet, {"reason": reason})


def _story_reason(engine: Engine, row: int, ask: _Ask, source: Item | None, shared: list[str]) -> str:
    item = engine.items[row]
    phrases = link_reason(engine, source, item) if source is not None else []
    phrases += [p for p in [ask.same_problem(engine, row)] if p] + shared
    if source is not None and len(phrases) == 0 and set(item.sectors) & set(source.sectors):
        phrases.append(f"cùng lĩnh vực {next(s for s in item.sectors if s in source.sectors)}")
    uses = [engine.corpus.by_id[p].title for p in item.platform_ids]
    if source is not None and source.type == "platform" and source.title in uses:  # one "dùng" phrase, the source's platform first
        phrases = [p for p in phrases if p != "dùng " + source.title]
        uses = [source.title] + [u for u in uses if u != source.title]
    said = " ".join(phrases)
    uses = [u for u in uses if u not in said]
    if uses:
        phrases.append("dùng " + ", ".join(uses[:2]))
    return join_reason(phrases) or _fallback(source)


def _fallback(source: Item | None) -> str:
    return f"gần nghĩa với {source.title}" if source is not None else "gần nghĩa với nội dung bạn tìm"


def _platforms(engine: Engine, relevance: np.ndarray, vectors: np.ndarray, k: int, ask: _Ask,
               source: Item | None, profile: Profile, phrases: _Shared, about: str | None) -> list[Hit]:
    """Platforms: for an item, the most related ones; for a problem or a profile, only those the
    fitting stories used or whose problem statement is the asker's (never popularity)."""
    rel = relevance.copy()
    support: dict[int, list[Story]] = {}
    allowed: set[int] | None = None
    if source is None:
        fitting = [int(i) for i in top_stable(relevance, _rows_of(engine, "story"), max(3 * k, 10))]
        floor = 0.6 * float(relevance[fitting[0]]) if fitting else 0.0
        # a story fits when it is close to the request and, for a profile, shares something with it
        for i in (i for i in fitting if relevance[i] >= floor and (profile.is_empty() or phrases[i])):
            for pid in engine.items[i].platform_ids:  # type: ignore[union-attr]
                support.setdefault(engine.row_of(pid), []).append(engine.items[i])  # type: ignore[arg-type]
        matched = {int(i) for i in _rows_of(engine, "platform") if ask.same_problem(engine, int(i))}
        allowed = set(support) | matched | set(ask.named)
        top = max((len(v) for v in support.values()), default=1)
        for i, users in support.items():
            rel[i] += 0.5 * len(users) / top
    hits = []
    for i in _pick(engine, rel, vectors, k, "platform", allowed):
        said = link_reason(engine, source, engine.items[i]) if source is not None else []
        said += [p for p in [ask.same_problem(engine, i)] if p] + phrases[i]
        if source is not None and not said and set(engine.items[i].sectors) & set(source.sectors):
            said.append(f"cùng lĩnh vực {next(s for s in engine.items[i].sectors if s in source.sectors)}")
        if i in support:
            where = "giống xã bạn" if not profile.is_empty() else "gần với vấn đề của bạn"
            said.append(f"được dùng ở {len(support[i])} câu chuyện {where}: {_places(support[i])}")
        hits.append(_hit(engine, i, rel, join_reason(said) or _fallback(source), about))
    return hits

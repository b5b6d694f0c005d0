"""Recommend: related stories and platforms for an item, a problem text and/or a commune profile.

Relevance mixes meaning (the engine's fused search score, or passage-vector similarity for an item)
with structure (same province or region, terrain, ethnic group, sector, audience; stories ↔
platforms through ``platform_ids``). The list is then diversified with maximal marginal relevance so
the top five are not five near-copies, and each hit gets a short Vietnamese ``reason``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from .arrays import TokenSets, top_stable
from .corpus import Item, Platform, Story, item_summary
from .search import Engine, Hit
from .text import fold

MMR_LAMBDA = 0.75  # 1.0 = pure relevance, lower = more diverse
SAME_PROBLEM = 0.6  # share of the best match from which a reason may say "cùng bài toán"


class UnknownItem(KeyError):
    """The item id is not in the corpus."""


@dataclass
class Profile:
    """A commune as an official describes it; every field optional."""

    province: str | None = None
    region: str | None = None
    terrain: list[str] = field(default_factory=list)
    ethnic_groups: list[str] = field(default_factory=list)
    sectors: list[str] = field(default_factory=list)
    audiences: list[str] = field(default_factory=list)

    def is_empty(self) -> bool:
        return not (self.province or self.region or self.terrain or self.ethnic_groups or self.sectors
                    or self.audiences)

    def as_text(self) -> str:
        """The profile as a sentence the dense model can read."""
        parts = []
        if self.terrain:
            parts.append("xã " + ", ".join(self.terrain))
        if self.province:
            parts.append(f"ở {self.province}")
        if self.region:
            parts.append(f"vùng {self.region}")
        if self.ethnic_groups:
            parts.append("đồng bào " + ", ".join(self.ethnic_groups))
        if self.sectors:
            parts.append("lĩnh vực " + ", ".join(self.sectors))
        if self.audiences:
            parts.append("cho " + ", ".join(self.audiences))
        return ", ".join(parts)


@dataclass
class Recommendation:
    stories: list[Hit]
    platforms: list[Hit]


# ---------------------------------------------------------------------------- helpers


def item_vectors(engine: Engine) -> np.ndarray:
    """One unit vector per item: the mean of its passage vectors (cached on the engine)."""
    cached = getattr(engine, "_item_vectors", None)
    if cached is not None:
        return cached
    vectors = engine._vectors
    if vectors is None:  # no passages
        return np.zeros((len(engine.items), engine.built.dense.d), dtype=np.float32)
    out = np.empty((len(engine.items), vectors.shape[1]), dtype=np.float32)
    for lo in range(0, len(engine.items), 4096):  # in slices: never a second copy of every passage vector
        starts = engine._starts[lo : lo + 4096]
        block = vectors[starts[0] : engine._ends[lo : lo + 4096][-1]]
        out[lo : lo + len(starts)] = np.add.reduceat(block, starts - starts[0], axis=0)
    out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)
    engine._item_vectors = out  # type: ignore[attr-defined]
    return out


def _same(a: str | None, b: str | None) -> bool:
    return bool(a and b and fold(a) == fold(b))


def profile_match(item: Item, profile: Profile) -> tuple[float, list[str]]:
    """How well an item fits the profile (0–1) and the reasons, in Vietnamese."""
    wanted_groups = {fold(e) for e in profile.ethnic_groups}
    # (values the item shares with the profile, weight, reason) — a place and a people only for stories
    checks: list[tuple[list[str], float, str]] = []
    if isinstance(item, Story):
        loc = item.location
        if _same(profile.province, loc.province):
            checks.append(([loc.province], 0.3, "cùng tỉnh {}"))
        elif _same(profile.region, loc.region):
            checks.append(([loc.region], 0.2, "cùng vùng {}"))
        checks.append(([t for t in loc.terrain if t in profile.terrain], 0.15, "cùng địa hình {}"))
        checks.append(([e for e in item.ethnic_groups if fold(e) in wanted_groups], 0.2, "cũng là đồng bào {}"))
    checks.append(([s for s in item.sectors if s in profile.sectors], 0.25, "cùng lĩnh vực {}"))
    checks.append(([a for a in item.audiences if a in profile.audiences], 0.1, "dành cho {}"))
    shared = [(found, weight, reason) for found, weight, reason in checks if found]
    score = sum(weight for _, weight, _ in shared)
    return min(score, 1.0), [reason.format(found[0]) for found, _, reason in shared]


@dataclass
class _ProfileTable:
    """The fields :func:`profile_match` reads, as arrays over every item (built once per engine)."""

    story: np.ndarray
    province: np.ndarray  # folded; "" for platforms
    region: np.ndarray
    terrain: TokenSets
    ethnic: TokenSets  # folded
    sectors: TokenSets
    audiences: TokenSets

    @classmethod
    def of(cls, engine: Engine) -> _ProfileTable:
        cached = getattr(engine, "_profile_table", None)
        if cached is None:
            items = engine.items
            stories = [it if isinstance(it, Story) else None for it in items]
            cached = cls(
                story=np.array([s is not None for s in stories], dtype=bool),
                province=np.array([fold(s.location.province) if s else "" for s in stories]),
                region=np.array([fold(s.location.region) if s else "" for s in stories]),
                terrain=TokenSets([s.location.terrain if s else [] for s in stories]),
                ethnic=TokenSets([[fold(e) for e in s.ethnic_groups] if s else [] for s in stories]),
                sectors=TokenSets([it.sectors for it in items]),
                audiences=TokenSets([it.audiences for it in items]),
            )
            engine._profile_table = cached  # type: ignore[attr-defined]
        return cached


def profile_scores(engine: Engine, profile: Profile) -> np.ndarray:
    """:func:`profile_match` scores of every item at once (the same numbers, without the loop)."""
    t = _ProfileTable.of(engine)
    n = len(t.story)
    same_province = (t.province == fold(profile.province)) & t.story if profile.province else np.zeros(n, bool)
    same_region = (t.region == fold(profile.region)) & t.story & ~same_province if profile.region else np.zeros(n, bool)
    # added in the order profile_match adds them, so the floats are the same
    score = np.zeros(n, dtype=np.float64)
    score += np.where(same_province, 0.3, np.where(same_region, 0.2, 0.0))
    score += np.where(t.terrain.count(set(profile.terrain)) > 0, 0.15, 0.0)
    score += np.where(t.ethnic.count({fold(e) for e in profile.ethnic_groups}) > 0, 0.2, 0.0)
    score += np.where(t.sectors.count(set(profile.sectors)) > 0, 0.25, 0.0)
    score += np.where(t.audiences.count(set(profile.audiences)) > 0, 0.1, 0.0)
    return np.minimum(score, 1.0)


def _stories_using(engine: Engine, platform_id: str) -> list[Story]:
    """``corpus.stories_using`` from a map built once per engine (not a scan of every story per call)."""
    users = getattr(engine, "_stories_using", None)
    if users is None:
        users = {}
        for story in engine.corpus.stories:
            for pid in dict.fromkeys(story.platform_ids):
                users.setdefault(pid, []).append(story)
        engine._stories_using = users  # type: ignore[attr-defined]
    return list(users.get(platform_id, ()))


def _platform_names(engine: Engine, ids: list[str]) -> list[str]:
    return [engine.corpus.by_id[i].title for i in ids if i in engine.corpus.by_id]


def _mmr(candidates: list[int], relevance: np.ndarray, vectors: np.ndarray, k: int) -> list[int]:
    chosen: list[int] = []
    pool = list(candidates)
    while pool and len(chosen) < k:
        if chosen:
            sims = vectors[pool] @ vectors[chosen].T
            penalty = sims.max(axis=1)
        else:
            penalty = np.zeros(len(pool))
        mmr = MMR_LAMBDA * relevance[pool] - (1 - MMR_LAMBDA) * penalty
        best = pool[int(np.argmax(mmr))]
        chosen.append(best)
        pool.remove(best)
    return chosen


def _problem_phrase(engine: Engine, row: int, q_vec: np.ndarray | None) -> str | None:
    """The item's problem closest in meaning to the query, as written in the item, shortened."""
    if q_vec is None:
        return None
    item = engine.items[row]
    start = int(engine._starts[row])  # an item's passages are one contiguous block
    end = int(engine._starts[row + 1]) if row + 1 < len(engine._starts) else len(engine.built.passages)
    idx = [i for i in range(start, end) if engine.built.passages[i].kind == "problem"]
    if not idx:
        return None
    vecs = np.vstack([engine.built.dense.reconstruct(i) for i in idx])
    best = int(np.argmax(vecs @ q_vec))
    # problem passages are stored in the order of the item's problems
    text = item.problems[best] if isinstance(item, Platform) and best < len(item.problems) else item_summary(item)
    text = re.split(r"(?<=\w\w)[.;!?](?:\s|$)", text)[0].strip().rstrip(".")  # "A D." is not a sentence end
    return text if len(text) <= 70 else text[:70].rsplit(" ", 1)[0] + "…"


# ---------------------------------------------------------------------------- recommend


def recommend(
    engine: Engine,
    text: str | None = None,
    item_id: str | None = None,
    profile: Profile | None = None,
    k: int = 5,
) -> Recommendation:
    """Stories and platforms that fit an item, a problem text and/or a profile, with reasons."""
    profile = profile or Profile()
    n = len(engine.items)
    vectors = item_vectors(engine)
    relevance = np.zeros(n, dtype=np.float32)
    q_vec: np.ndarray | None = None
    source: Item | None = None

    text = (text or "").strip() or None
    # how close each item's problem is to the asker's: the text's search score, or the item's likeness
    problem_rel = np.zeros(n, dtype=np.float32)
    query_text = text or profile.as_text()  # a profile alone is searched as a sentence, at a lower weight
    if query_text:
        q = engine.analyse(query_text)
        fused, _ = engine.score(q)
        top = float(fused.max()) if n else 0.0
        text_rel = (fused / top if top > 0 else fused).astype(np.float32)
        relevance += text_rel * (1.0 if profile.is_empty() else 0.7 if text else 0.4)
        if text:
            problem_rel = text_rel
            q_vec = engine.cache.encode(q.restored)
    if item_id is not None:
        source = engine.corpus.get(item_id)
        if source is None:
            raise UnknownItem(item_id)
        row = engine._row[item_id]
        sims = _minmax(vectors @ vectors[row])
        relevance += sims * (0.6 if text else 1.0)
        if q_vec is None:
            q_vec, problem_rel = vectors[row], sims
        linked = _links(engine, source)
        for other in linked:
            relevance[engine._row[other]] += 0.5
        relevance[row] = -np.inf

    if not profile.is_empty():
        relevance += (0.3 * profile_scores(engine, profile)).astype(np.float32)

    def reasons(i: int) -> list[str]:  # only for the items shown
        item = engine.items[i]
        why: list[str] = []
        if source is not None:
            why += _link_reason(engine, source, item)
            if not why and set(item.sectors) & set(source.sectors):
                why.append(f"cùng lĩnh vực {next(s for s in item.sectors if s in source.sectors)}")
        if not profile.is_empty():
            why += profile_match(item, profile)[1]
        return why

    is_story = _ProfileTable.of(engine).story

    def pick(kind: type) -> list[Hit]:
        rows = np.flatnonzero((is_story if kind is Story else ~is_story) & np.isfinite(relevance))
        cands = top_stable(relevance, rows, max(4 * k, 20)).tolist()
        chosen = _mmr(cands, relevance, vectors, k)
        hits = []
        for i in chosen:
            why = list(dict.fromkeys(reasons(i)))
            # "same problem" only when it really is close; a fitting profile is not the same problem
            phrase = _problem_phrase(engine, i, q_vec) if problem_rel[i] >= SAME_PROBLEM else None
            if phrase:
                why.insert(0 if text else len(why), f"cùng bài toán “{phrase}”")
            item = engine.items[i]
            if isinstance(item, Story) and item.platform_ids:
                why.append("dùng " + ", ".join(_platform_names(engine, item.platform_ids)[:2]))
            elif isinstance(item, Platform):
                users = _stories_using(engine, item.id)
                if users:
                    why.append(f"đã được dùng trong {len(users)} câu chuyện")
            hits.append(Hit(item, float(relevance[i]), engine.snippet(i, engine.analyse(query_text or item.title)),
                            {"reason": ", ".join(dict.fromkeys(why[:4])) or "gần nghĩa với nội dung bạn tìm"}))
        return hits

    return Recommendation(stories=pick(Story), platforms=pick(Platform))


def _links(engine: Engine, source: Item) -> list[str]:
    if isinstance(source, Story):
        return list(source.platform_ids)
    return [s.id for s in _stories_using(engine, source.id)]


def _link_reason(engine: Engine, source: Item, item: Item) -> list[str]:
    if isinstance(source, Story) and isinstance(item, Platform) and item.id in source.platform_ids:
        return ["câu chuyện này dùng " + item.title]
    if isinstance(source, Platform) and isinstance(item, Story) and source.id in item.platform_ids:
        return ["dùng " + source.title]
    if isinstance(source, Story) and isinstance(item, Story):
        shared = [p for p in source.platform_ids if p in item.platform_ids]
        if shared:
            return ["cùng dùng " + ", ".join(_platform_names(engine, shared)[:2])]
        if source.location.region == item.location.region:
            return [f"cùng vùng {item.location.region}"]
    return []


def _minmax(values: np.ndarray) -> np.ndarray:
    finite = values[np.isfinite(values)]
    lo, hi = float(finite.min()), float(finite.max())
    return ((values - lo) / (hi - lo)).astype(np.float32) if hi > lo else np.zeros_like(values)

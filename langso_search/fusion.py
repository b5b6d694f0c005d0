"""Fusion: how the normalised retriever scores of one query become one item score.

Pure functions over numpy arrays and a frozen :class:`FusionWeights`; the engine calls them, and so
does tuning (``langso eval --tune``), which tries other weights without touching the engine's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .query import Query

# mix_types: the other type's best hit "also fits" from this share of the best score — the same bar the
# facets use for "reasonably relevant". On the 517 dev queries MRR@10 is 0.991 for every floor from 1.0
# down to 0.4; the share of both-relevant queries with both types in the top 3 goes 91.2 % (no mix) →
# 92.2 % (0.8) → 95.6 % (0.5) → 99.3 % (0.4, where weak hits start to be pulled up).
MIX_FLOOR = 0.5


@dataclass(frozen=True)
class FusionWeights:
    """Knobs of the adaptive fusion, set by `langso eval --tune` on data/eval/queries.jsonl (dev only).

    On the 517 dev queries every setting on the best plateau gives restored queries a *higher* dense
    weight than accented ones: an accented query already gets exact-accent lexical evidence (the
    "~bán" tokens), while a restored one relies on the dense model to read the marks put back.
    The accented weight is flat between 0.15 and 0.25 there; we keep the upper end.
    """

    dense: float = 0.25  # dense weight for a query typed with diacritics
    dense_restored: float = 0.45  # dense weight when diacritics were restored
    dense_long_bonus: float = 0.0  # added for long queries (≥ 20 syllables); 0.15 tied on dev
    name: float = 0.2  # weight of a platform-name match (fading for queries over 6 syllables)
    second_passage: float = 0.3  # share of the second-best passage in the item's dense score
    title_boost: float = 0.3  # lexical bonus for query words found in the title/aliases
    used_by: float = 0.75  # a platform scores at least this share of the best story that used it (dev: MRR
    # unchanged at 0.980, nDCG@10 0.911 → 0.921 with 0.75; "bán mật ong" shows Facebook, used by both honey stories)
    lack_boost: float = 0.3  # items whose own text negates what the query negates score (1 + this) × (negation.py).
    # Dev (0 / 0.2 / 0.3 / 0.5): MRR@10 0.981 / 0.982 / 0.982 / 0.982, nDCG@10 0.922 / 0.924 / 0.924 / 0.923;
    # data/eval/negation.jsonl MRR 0.844 → 0.896, hit@3 0.929 → 0.964
    prefer_made_in_vietnam: bool = True  # a foreign platform lifted by stories yields its place (prefer_domestic).
    # Dev: MRR, hit@3 and the story+platform mix unchanged, nDCG@10 −0.0005 (12 queries change in the top 5,
    # the domestic platforms that move up were never graded); "bán mật ong … qua mạng" gets Postmart at 3


# ---------------------------------------------------------------------------- normalisation


def minmax(values: np.ndarray) -> np.ndarray:
    """Scale to [0, 1] by the *finite* minimum and maximum (float32).

    Infinities: ``-inf`` (an item ruled out) stays ``-inf``, ``+inf`` stays ``+inf``, NaN stays NaN;
    they never set the bounds. All finite values equal (or none): the finite ones become 0 (no evidence)."""
    finite = np.isfinite(values)
    lo, hi = (float(values[finite].min()), float(values[finite].max())) if finite.any() else (0.0, 0.0)
    if hi - lo < 1e-9:
        return np.where(finite, 0.0, values).astype(np.float32)
    return ((values - lo) / (hi - lo)).astype(np.float32)


def maxnorm(values: np.ndarray) -> np.ndarray:
    """Divide by the finite maximum when it is positive (float32); zeros otherwise. Infinities as in
    :func:`minmax`: they pass through and never set the scale."""
    finite = np.isfinite(values)
    hi = float(values[finite].max()) if finite.any() else 0.0
    return (values / hi).astype(np.float32) if hi > 0 else np.where(finite, 0.0, values).astype(np.float32)


# ---------------------------------------------------------------------------- the mix


def dense_weight(weights: FusionWeights, q: Query) -> float:
    """Share of the dense retriever for this query; the lexical one gets the rest."""
    if q.exact:  # the words as typed: lexical only (dense on the typed text measured no better, and
        return 0.0  # worse on unaccented queries: MRR 0.964 vs 0.986 on the dev set's unaccented style)
    weight = weights.dense_restored if q.was_restored or q.accent_ratio < 0.5 else weights.dense
    if q.n_syllables >= 20:
        weight += weights.dense_long_bonus
    return min(weight, 0.95)


def name_weight(weights: FusionWeights, q: Query) -> float:
    """Full weight for short, name-like queries; a long description that mentions "Zalo" in passing
    is not asking for the Zalo platform, so the weight fades with length (6 syllables and up)."""
    return weights.name * min(1.0, 6 / max(q.n_syllables, 1))


def fuse(weights: FusionWeights, q: Query, dense: np.ndarray, lexical: np.ndarray, name: np.ndarray) -> np.ndarray:
    """The adaptive mix of the normalised retriever scores (used by search and by tuning)."""
    wd = dense_weight(weights, q)
    return wd * dense + (1 - wd) * lexical + name_weight(weights, q) * name


@dataclass(frozen=True)
class UsedBy:
    """(story row, platform row) for every platform a story used: "who did it" lifts "what to use"."""

    story: np.ndarray
    platform: np.ndarray

    @classmethod
    def of(cls, links: list[tuple[int, int]]) -> UsedBy:
        return cls(np.array([a for a, _ in links], dtype=np.int64), np.array([b for _, b in links], dtype=np.int64))

    def lift(self, fused: np.ndarray, share: float) -> np.ndarray:
        """A platform scores at least ``share`` × the score of the best story that used it."""
        if share <= 0 or not self.story.size:
            return fused
        lifted = np.zeros_like(fused)
        np.maximum.at(lifted, self.platform, fused[self.story])
        return np.maximum(fused, share * lifted).astype(fused.dtype)


def mix_types(order: np.ndarray, fused: np.ndarray, items: Sequence[Any] | np.ndarray, top: int = 3) -> np.ndarray:
    """When the first ``top`` hits are all one type (all stories or all platforms) and the best hit of
    the other type also fits (≥ :data:`MIX_FLOOR` of the best score), move that hit up to rank ``top``:
    a problem that a platform and a story both answer shows one of each. ``items``: the items, or an
    array of their types (what the engine passes: no per-item Python loop)."""
    if len(order) <= top:
        return order
    types = items if isinstance(items, np.ndarray) else np.array([it.type for it in items])
    kinds = types[order[:top]]
    if (kinds != kinds[0]).any():
        return order
    others = np.flatnonzero(types[order] != kinds[0])
    if not others.size or fused[order[others[0]]] < MIX_FLOOR * fused[order[0]]:
        return order
    other = int(others[0])
    moved = order[other]
    rest = np.delete(order, other)
    return np.insert(rest, top - 1, moved)


def lift_lacking(fused: np.ndarray, states: np.ndarray, boost: float) -> np.ndarray:
    """"Không có tài khoản ngân hàng": the items whose own text negates the same need ("không cần tài
    khoản ngân hàng") score ``1 + boost`` times their score; the others, which take it for granted, do
    not. Multiplicative, so an item that fits the query poorly stays low."""
    if boost <= 0 or not states.any():
        return fused
    return np.where(states, fused * (1 + boost), fused).astype(fused.dtype)


def prefer_domestic(lifted: np.ndarray, own: np.ndarray, dense: np.ndarray, named: np.ndarray,
                    platform: np.ndarray, foreign: np.ndarray, floor: float,
                    sectors: np.ndarray | None = None) -> np.ndarray:
    """Làng số is the handbook of "Make in Việt Nam" platforms. When a foreign platform (Facebook,
    TikTok Shop, YouTube) stands high only because stories used it (``lifted`` > ``own``) and the
    platform that fits the query best on its *own* evidence is a Make-in-Việt-Nam one, that platform
    takes the foreign one's place, just ahead of it (the foreign one keeps its score, one rank lower).

    Only when the domestic platform fits at least as well both overall (``own``) and in meaning
    (``dense``: a shared place name is not a fit), is above the relevance ``floor`` (share of the best
    own score), does the same kind of job (``sectors``, a values × items boolean matrix: it shares a
    sector with the foreign one; a city's services app never replaces a place to sell), and the user
    did not name the foreign platform (``named`` > 0: "bán qua fb").
    """
    rows = np.flatnonzero(platform)
    if not rows.size:
        return lifted
    best = int(rows[np.argmax(own[rows])])
    if foreign[best] or own[best] < floor * float(own.max()):
        return lifted
    out = lifted.copy()
    for f in sorted(np.flatnonzero(foreign & (lifted > own) & (named <= 0)), key=lambda r: -lifted[r]):
        same_job = sectors is None or bool((sectors[:, best] & sectors[:, f]).any())
        if lifted[f] > out[best] and own[best] >= own[f] and dense[best] >= dense[f] and same_job:
            out[best] = np.nextafter(lifted[f], np.float32(np.inf))
            break
    return out

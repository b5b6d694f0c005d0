"""How well every item fits an official's profile, as arrays: no per-item Python loop on the query path.

:func:`profile_scores` gives, for all items at once, exactly the score that
:func:`~langso_search.reasons.profile_match` gives one item (that function stays the reference, and
words the reasons of the few items shown). Places, terrain, sectors and audiences come from the
engine's facet matrices (:class:`~langso_search.facets.FacetIndex`); ethnic groups from a token index
built once per engine. :func:`region_of` and :func:`local_stories` answer the two corpus-wide
questions a profile asks (the region of a province, the stories of a place) the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from .search import Engine
from .text import fold

if TYPE_CHECKING:  # reasons imports this module
    from .reasons import Profile

# what each shared profile value weighs (reasons.profile_match adds them in this order)
SAME_PROVINCE, SAME_REGION, SAME_TERRAIN, SAME_ETHNIC, SAME_SECTOR, SAME_AUDIENCE = 0.3, 0.2, 0.15, 0.2, 0.25, 0.1


def any_value(engine: Engine, name: str, wanted: Callable[[str], bool]) -> np.ndarray:
    """Items having at least one value of facet ``name`` that ``wanted`` accepts."""
    facets = engine.facet_index
    rows = [i for i, value in enumerate(facets.values[name]) if wanted(value)]
    if not rows:
        return np.zeros(facets.n, dtype=bool)
    return facets.rows[name][rows].any(axis=0)


def same_place(a: str | None, b: str | None) -> bool:
    """Two place names are the same with accents and case folded (an empty one matches nothing)."""
    return bool(a and b and fold(a) == fold(b))


def _same(value: str | None) -> Callable[[str], bool]:
    """Accepts a facet value that is the same place as ``value``."""
    return lambda v: same_place(value, v)


def place_masks(engine: Engine, province: str | None, region: str | None) -> tuple[np.ndarray, np.ndarray]:
    """Stories in the same province (accents and case folded), and stories in the same region."""
    return any_value(engine, "province", _same(province)), any_value(engine, "region", _same(region))


def profile_scores(engine: Engine, profile: Profile, region: str | None = None) -> np.ndarray:
    """Per item, ``reasons.profile_match(item, profile, region)[0]`` (float64, same additions in the same order)."""
    region = profile.region or region
    province, same_region = place_masks(engine, profile.province, region)
    terrain, sectors, audiences = set(profile.terrain), set(profile.sectors), set(profile.audiences)
    wanted_groups = {fold(e) for e in profile.ethnic_groups}
    score = np.zeros(engine.facet_index.n, dtype=np.float64)
    score += np.where(province, SAME_PROVINCE, np.where(same_region, SAME_REGION, 0.0))
    score += SAME_TERRAIN * any_value(engine, "terrain", terrain.__contains__)
    if wanted_groups:
        score += SAME_ETHNIC * (engine.ethnic.count(wanted_groups) > 0)
    score += SAME_SECTOR * any_value(engine, "sector", sectors.__contains__)
    score += SAME_AUDIENCE * any_value(engine, "audience", audiences.__contains__)
    return np.minimum(score, 1.0)


def region_of(engine: Engine, province: str | None) -> str | None:
    """The region of a province as the corpus's stories place it: the most common one (ties: the region
    of the first such story in corpus order)."""
    if not province:
        return None
    in_province, _ = place_masks(engine, province, None)
    if not in_province.any():
        return None
    facets = engine.facet_index
    regions = facets.rows["region"][:, in_province]  # (regions × stories of the province)
    counts = regions.sum(axis=1)
    first = np.where(counts > 0, regions.argmax(axis=1), regions.shape[1])
    best = min(np.flatnonzero(counts == counts.max()), key=lambda r: first[r])
    return facets.values["region"][int(best)]


def local_stories(engine: Engine, province: str | None, region: str | None) -> np.ndarray:
    """Stories in the official's province or region."""
    same_province, same_region = place_masks(engine, province, region)
    return same_province | same_region

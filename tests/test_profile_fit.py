"""profile_fit's arrays against the per-item references they replace (reasons.profile_match, a Counter
over the stories), on the real corpus: every item, many profiles, accents and case folded."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from langso_search.profile_fit import local_stories, profile_scores, region_of
from langso_search.reasons import Profile, profile_match
from langso_search.search import Engine
from langso_search.text import fold

PROFILES = [
    Profile(province="Cà Mau", terrain=["ven biển"], sectors=["thủy sản"]),
    Profile(province="lai chau", ethnic_groups=["Mông", "sán chỉ"], terrain=["miền núi"]),
    Profile(region="Tây Nguyên", sectors=["y tế", "nông nghiệp"], audiences=["nông dân"]),
    Profile(region="tay bac", terrain=["miền núi"], ethnic_groups=["Mông"], sectors=["nông nghiệp"]),
    Profile(ethnic_groups=["Khmer"], audiences=["hợp tác xã", "người cao tuổi"]),
    Profile(province="Không Có Tỉnh Này", sectors=["giáo dục"]),
    Profile(sectors=["thương mại điện tử"], terrain=["đồng bằng", "ven biển"]),
]


@pytest.mark.parametrize("profile", PROFILES, ids=lambda p: p.as_text()[:40])
def test_scores_equal_profile_match_for_every_item(full_engine: Engine, profile: Profile) -> None:
    region = region_of(full_engine, profile.province)
    expected = np.array([profile_match(item, profile, region)[0] for item in full_engine.items])
    got = profile_scores(full_engine, profile, region)
    assert np.array_equal(got, expected)  # exactly: the same additions in the same order
    assert (got > 0).any() or profile.province == "Không Có Tỉnh Này"


def _region_reference(engine: Engine, province: str) -> str | None:
    regions = Counter(s.location.region for s in engine.corpus.stories if fold(s.location.province) == fold(province))
    return regions.most_common(1)[0][0] if regions else None


def test_region_of_equals_the_counter_over_stories(full_engine: Engine) -> None:
    provinces = sorted({s.location.province for s in full_engine.corpus.stories})
    assert len(provinces) > 10
    for province in [*provinces, *(fold(p).upper() for p in provinces), "Không Có Tỉnh Này"]:
        assert region_of(full_engine, province) == _region_reference(full_engine, province), province
    assert region_of(full_engine, None) is None


def test_local_stories_are_the_stories_of_the_place(full_engine: Engine) -> None:
    got = local_stories(full_engine, "ca mau", "Tây Nguyên")
    expected = [item.type == "story" and (fold(item.location.province) == "ca mau"  # type: ignore[union-attr]
                                          or item.location.region == "Tây Nguyên")  # type: ignore[union-attr]
                for item in full_engine.items]
    assert got.tolist() == expected and any(expected)

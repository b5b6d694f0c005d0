"""Coverage of the corpus for editors: sector × region, ethnic groups, years, themes, loose ends.

``langso data report`` prints it and draws a heatmap; ``langso data check`` prints the warnings;
``tests/test_coverage.py`` holds the theme targets, counted from the data, so they cannot drift.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .corpus import Corpus, Story
from .text import fold
from .vocab import REGIONS, SECTORS

NORTHERN_MOUNTAINS = ("Tây Bắc", "Đông Bắc")
MEKONG = "Đồng bằng sông Cửu Long"
_CREDIT = re.compile(r"\b(vay|tin dung|tiet kiem va vay|tro cap|luong huu|an sinh|chinh sach xa hoi|nhcsxh)\b")
_AQUA = re.compile(r"\b(tom|ca tra|hau|ngao|long ca|long be|ao nuoi|ao ca|ao tom|nuoi bien|nuoi ca|ca long)\b")


def _story_text(story: Story) -> str:
    return fold(" ".join([story.title, story.problem, story.approach, story.result]))


def themes(story: Story) -> set[str]:
    """The editorial themes a story counts for (the targets of the handbook's coverage plan)."""
    out: set[str] = set()
    sectors, region, text = set(story.sectors), story.location.region, _story_text(story)
    if region == MEKONG:
        for sector, name in (("y tế", "mekong-health"), ("giáo dục", "mekong-education"),
                             ("dịch vụ công", "mekong-public-services")):
            if sector in sectors:
                out.add(name)
        if "người cao tuổi" in story.audiences:
            out.add("mekong-elderly")
    if "Khmer" in story.ethnic_groups:
        out.add("khmer")
    if "phòng chống thiên tai" in sectors:
        out.add("disaster")
    if "thủy sản" in sectors and _AQUA.search(text):
        out.add("aquaculture")
    if sectors & {"tài chính", "thanh toán"} and _CREDIT.search(text):
        out.add("credit-welfare")
    if "du lịch" in sectors and region not in NORTHERN_MOUNTAINS:
        out.add("tourism-outside-north")
    if "phụ nữ" in story.audiences:
        out.add("women")
    return out


@dataclass
class Coverage:
    """Everything the report shows, computed once from a corpus."""

    stories: int
    platforms: int
    by_region: dict[str, int]
    sector_region: dict[str, dict[str, int]]
    ethnic_groups: dict[str, int]
    years: dict[str, int]
    themes: dict[str, int]
    unlinked_platforms: list[str]
    stories_without_platform: list[str]
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def coverage(corpus: Corpus) -> Coverage:
    stories = corpus.stories
    linked = {pid for s in stories for pid in s.platform_ids}
    unlinked = sorted(p.id for p in corpus.platforms if p.id not in linked and p.stories != "none yet")
    years = Counter(str(s.year) if s.year else "không rõ / unknown" for s in stories)
    cov = Coverage(
        stories=len(stories),
        platforms=len(corpus.platforms),
        by_region={r: sum(s.location.region == r for s in stories) for r in REGIONS},
        sector_region={sec: {r: sum(sec in s.sectors and s.location.region == r for s in stories) for r in REGIONS}
                       for sec in SECTORS},
        ethnic_groups=dict(Counter(g for s in stories for g in s.ethnic_groups).most_common()),
        years=dict(sorted(years.items())),
        themes=dict(sorted(Counter(t for s in stories for t in themes(s)).items())),
        unlinked_platforms=unlinked,
        stories_without_platform=sorted(s.id for s in stories if not s.platform_ids),
    )
    cov.warnings = _warnings(corpus, cov)
    return cov


def _warnings(corpus: Corpus, cov: Coverage) -> list[str]:
    out = [f"stories/{s.id}.yaml: {s.id}: year: null (fill it from the source's date if it gives one)"
           for s in corpus.stories if s.year is None]
    out += [f"platforms/{pid}.yaml: {pid}: no story links it (link one, or add `stories: none yet` on purpose)"
            for pid in cov.unlinked_platforms]
    out += [f"stories/{sid}.yaml: {sid}: platform_ids: empty (no platform to suggest to the reader)"
            for sid in cov.stories_without_platform]
    return out


def format_report(cov: Coverage) -> str:
    """A plain-text report for the terminal (markdown tables, readable as they are)."""
    short = {r: "".join(w[0] for w in r.split()) for r in REGIONS}
    lines = [f"{cov.stories} câu chuyện / stories, {cov.platforms} nền tảng / platforms", "",
             "| vùng / region | stories |", "|---|---|"]
    lines += [f"| {r} | {n} |" for r, n in cov.by_region.items()]
    lines += ["", "| lĩnh vực / sector | " + " | ".join(short.values()) + " | all |",
              "|---|" + "---|" * (len(REGIONS) + 1)]
    for sector, row in cov.sector_region.items():
        lines.append(f"| {sector} | " + " | ".join(str(row[r] or "·") for r in REGIONS) + f" | {sum(row.values())} |")
    lines += ["", "regions: " + ", ".join(f"{v} = {k}" for k, v in short.items()), ""]
    lines.append("dân tộc / ethnic groups: " + ", ".join(f"{g} {n}" for g, n in cov.ethnic_groups.items()))
    lines.append("năm / years: " + ", ".join(f"{y}: {n}" for y, n in cov.years.items()))
    lines.append("chủ đề / themes: " + ", ".join(f"{t} {n}" for t, n in cov.themes.items()))
    lines.append(f"nền tảng chưa có câu chuyện / platforms never linked ({len(cov.unlinked_platforms)}): "
                 + (", ".join(cov.unlinked_platforms) or "none"))
    return "\n".join(lines)


def draw_heatmap(cov: Coverage, out: Path) -> Path:
    """Sector × region heatmap PNG for editors (where stories are missing is where to write next)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    grid = np.array([[cov.sector_region[s][r] for r in REGIONS] for s in SECTORS])
    fig, ax = plt.subplots(figsize=(11, 9))
    ax.imshow(grid, cmap="YlGn", aspect="auto")
    ax.set_xticks(range(len(REGIONS)), REGIONS, rotation=35, ha="right")
    ax.set_yticks(range(len(SECTORS)), SECTORS)
    for (i, j), n in np.ndenumerate(grid):
        ax.text(j, i, str(n) if n else "·", ha="center", va="center", fontsize=8,
                color="white" if n > grid.max() * 0.6 else "black")
    ax.set_title(f"Câu chuyện theo lĩnh vực × vùng ({cov.stories} câu chuyện) — ô trống là chỗ cần viết thêm")
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return out

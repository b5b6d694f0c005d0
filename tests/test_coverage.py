"""The corpus meets the handbook's coverage plan, counted from the data (issue 10's targets)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from langso_search.cli import app
from langso_search.corpus import Corpus, load_corpus
from langso_search.coverage import coverage

from .conftest import DATA

TARGETS = {  # theme → at least this many stories
    "mekong-health": 2, "mekong-education": 2, "mekong-public-services": 2, "mekong-elderly": 2,
    "khmer": 2, "disaster": 5, "aquaculture": 3, "credit-welfare": 3, "tourism-outside-north": 3, "women": 15,
}


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return load_corpus(DATA)


def test_counts_and_regions(corpus: Corpus) -> None:
    cov = coverage(corpus)
    assert cov.stories >= 125 and cov.platforms >= 55
    thin = {region: n for region, n in cov.by_region.items() if n < 8}
    assert not thin, f"regions under 8 stories: {thin}"


@pytest.mark.parametrize("theme", sorted(TARGETS))
def test_theme_targets(corpus: Corpus, theme: str) -> None:
    assert coverage(corpus).themes.get(theme, 0) >= TARGETS[theme]


def test_every_platform_is_linked_or_marked(corpus: Corpus) -> None:
    assert coverage(corpus).unlinked_platforms == []  # linked from a story, or `stories: none yet` on purpose


@pytest.mark.xfail(strict=True, reason="known miss (issue 10): 28 of 143 stories have no year because no stored "
                   "source dates them (three searches: by post id, by other coverage, and a third pass over "
                   "all 28 found none); the target stays 90 % and this fails loudly (strict) once enough years "
                   "are filled to pass")
def test_ninety_percent_of_stories_have_a_year(corpus: Corpus) -> None:
    dated = sum(s.year is not None for s in corpus.stories)
    assert dated / len(corpus.stories) >= 0.90, f"only {dated}/{len(corpus.stories)} stories have a year"


def test_data_report_prints_and_draws(tmp_path: Path) -> None:
    png = tmp_path / "coverage.png"
    run = CliRunner().invoke(app, ["data", "report", "--data-dir", str(DATA), "--png", str(png), "--json"])
    assert run.exit_code == 0, run.output
    body = json.loads(run.stdout)
    assert body["stories"] == len(load_corpus(DATA).stories)
    assert set(body["by_region"]) and png.stat().st_size > 10_000
    text = CliRunner().invoke(app, ["data", "report", "--data-dir", str(DATA), "--png", str(png)])
    assert "| nông nghiệp |" in text.stdout


def test_check_warns_but_passes(tmp_path: Path) -> None:
    run = CliRunner().invoke(app, ["data", "check", "--data-dir", str(DATA), "--json"])
    assert run.exit_code == 0, run.output
    body = json.loads(run.stdout)
    assert body["ok"] and isinstance(body["warnings"], list)
    assert all(": " in w for w in body["warnings"])

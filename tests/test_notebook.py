"""The evaluation notebook runs end to end (and writes its plot)."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import DATA

NOTEBOOK = DATA.parent / "notebooks" / "evaluation.ipynb"
EVERY = 8  # the notebook scores every 8th development query (all styles); the full set is test_evaluate's


def notebook_root(root: Path) -> Path:
    """A folder laid out like the checkout, which the notebook takes as its root: the package and the corpus
    are the checkout's own (linked, so the corpus digest matches the session's full index), and
    data/eval/queries.jsonl holds every EVERY-th development query. Scoring all 635 queries is test_evaluate's
    job (~150 s CPU); here it would only run the same code a second time."""
    (root / "data" / "eval").mkdir(parents=True)
    (root / "notebooks").mkdir()
    (root / "langso_search").symlink_to(DATA.parent / "langso_search")
    for sub in ("platforms", "stories"):
        (root / "data" / sub).symlink_to(DATA / sub)
    lines = (DATA / "eval" / "queries.jsonl").read_text(encoding="utf-8").splitlines()
    (root / "data" / "eval" / "queries.jsonl").write_text("\n".join(lines[::EVERY]) + "\n", encoding="utf-8")
    return root


@pytest.mark.slow
def test_evaluation_notebook_executes(full_engine, full_settings, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import nbformat
    from nbclient import NotebookClient

    # the kernel inherits these: it reuses the session's full index and writes its figure to a temp folder,
    # so the tracked notebooks/evaluation.png and the repo's index/ are never touched by the tests
    monkeypatch.setenv("LANGSO_INDEX_DIR", str(full_settings.index_dir))
    monkeypatch.setenv("LANGSO_FIGURE_DIR", str(tmp_path))
    root = notebook_root(tmp_path / "root")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(root / "notebooks")}}).execute()
    outputs = "".join(o.get("text", "") for cell in nb.cells for o in cell.get("outputs", []) if o.get("name") == "stdout")
    n = len((root / "data" / "eval" / "queries.jsonl").read_text(encoding="utf-8").splitlines())
    assert f"{len(full_engine.corpus.stories)} stories, {n} queries" in outputs  # the real corpus, the sample
    assert "| all |" in outputs and "accent gap" in outputs and "restoration:" in outputs
    figure = tmp_path / "evaluation.png"  # did not exist before the run: the notebook really wrote it
    assert figure.stat().st_size > 10_000

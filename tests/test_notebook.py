"""The evaluation notebook runs end to end (and writes its plot)."""

from __future__ import annotations

import pytest

from .conftest import DATA

NOTEBOOK = DATA.parent / "notebooks" / "evaluation.ipynb"


@pytest.mark.slow
def test_evaluation_notebook_executes(full_engine, full_settings, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import nbformat
    from nbclient import NotebookClient

    # the kernel inherits these: it reuses the session's full index and writes its figure to a temp folder,
    # so the tracked notebooks/evaluation.png and the repo's index/ are never touched by the tests
    monkeypatch.setenv("LANGSO_INDEX_DIR", str(full_settings.index_dir))
    monkeypatch.setenv("LANGSO_FIGURE_DIR", str(tmp_path))
    nb = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()
    outputs = "".join(o.get("text", "") for cell in nb.cells for o in cell.get("outputs", []) if o.get("name") == "stdout")
    assert "| all |" in outputs and "accent gap" in outputs
    figure = tmp_path / "evaluation.png"  # did not exist before the run: the notebook really wrote it
    assert figure.stat().st_size > 10_000

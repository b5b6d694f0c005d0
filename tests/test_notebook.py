"""The evaluation notebook runs end to end (and writes its plot)."""

from __future__ import annotations

import pytest

from .conftest import DATA

NOTEBOOK = DATA.parent / "notebooks" / "evaluation.ipynb"


@pytest.mark.slow
def test_evaluation_notebook_executes(full_engine) -> None:  # type: ignore[no-untyped-def]
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()
    outputs = "".join(o.get("text", "") for cell in nb.cells for o in cell.get("outputs", []) if o.get("name") == "stdout")
    assert "| all |" in outputs and "accent gap" in outputs
    assert (NOTEBOOK.parent / "evaluation.png").stat().st_size > 10_000

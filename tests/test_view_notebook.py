"""notebooks/explore.ipynb runs top to bottom in a real kernel (nbclient + ipykernel), and is committed clean."""
from __future__ import annotations

import html
import re
import time
from pathlib import Path

import pytest

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "explore.ipynb"


def test_notebook_is_committed_without_outputs() -> None:
    nbformat = pytest.importorskip("nbformat", reason="notebook test: pip install nbformat (the [test] extra)")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code
    for cell in code:
        assert cell.outputs == [] and cell.execution_count is None, "clear the notebook's outputs before committing"
        # the notebook shows the public API: `import kg` and the KnowledgeGraph it returns, no submodules
        assert not re.search(r"^\s*(from|import)\s+kg\.", cell.source, re.M), cell.source


def test_notebook_runs(tmp_path: Path) -> None:
    nbformat = pytest.importorskip("nbformat", reason="notebook test: pip install nbformat (the [test] extra)")
    nbclient = pytest.importorskip("nbclient", reason="notebook test: pip install nbclient (the [test] extra)")
    pytest.importorskip("ipykernel", reason="notebook test: pip install ipykernel (the [test] extra)")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    started = time.perf_counter()
    nbclient.NotebookClient(nb, timeout=180, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}}).execute()
    seconds = time.perf_counter() - started
    print(f"notebooks/explore.ipynb ran in {seconds:.1f} s")
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert "482 papers" in text
    assert "named queries:" in text and "top-datasets" in text
    assert "ImageNet" in text and "co-occurrence of datasets and models" in text
    frames = [o["data"]["text/html"] for o in outputs if "text/html" in o.get("data", {})]
    assert len(frames) == 2  # the ego view and the co-occurrence view, inline
    for frame in frames:
        assert frame.startswith("<div><iframe srcdoc=")
        page = html.unescape(frame.split('srcdoc="', 1)[1].split('" style=', 1)[0])
        assert page.startswith("<!DOCTYPE html>") and "new vis.Network(" in page
    assert not list(tmp_path.iterdir())  # it writes into a temporary folder, not beside itself

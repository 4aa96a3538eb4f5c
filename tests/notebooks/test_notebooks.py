"""Every notebook in notebooks/ runs top to bottom, draws its figures, and is committed without outputs.

The notebooks are executed with nbclient in a fresh kernel with
``CLV_NOTEBOOK_FAST=1`` (each notebook reads it to take few bootstrap or
posterior draws), one test per notebook so ``pytest -n 2`` spreads them, each
with its own time limit. All together they must stay within about 8 minutes
of CI time.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
PATHS = sorted(NOTEBOOKS.glob("*.ipynb"))
# total seconds allowed per notebook (120 unless listed); one cell may take at most that long too
TIMEOUT = {"03_hierarchical_bayes.ipynb": 420}
FIGURES = {"01_quickstart.ipynb": 3, "02_channel_ltv_vs_cac.ipynb": 2, "03_hierarchical_bayes.ipynb": 2, "04_budget_planning.ipynb": 2}


def test_the_four_notebooks_are_there():
    names = {p.name for p in PATHS}
    assert names == {"01_quickstart.ipynb", "02_channel_ltv_vs_cac.ipynb", "03_hierarchical_bayes.ipynb", "04_budget_planning.ipynb"}


@pytest.mark.parametrize("path", PATHS, ids=[p.stem for p in PATHS])
def test_notebook_is_committed_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    dirty = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and (c.get("outputs") or c.get("execution_count"))]
    assert dirty == [], f"{path.name}: cells {dirty} carry outputs; strip them before committing"


@pytest.mark.slow
@pytest.mark.parametrize("path", PATHS, ids=[p.stem for p in PATHS])
def test_notebook_executes(path, tmp_path, monkeypatch):
    monkeypatch.setenv("CLV_NOTEBOOK_FAST", "1")
    nb = nbformat.read(path, as_version=4)
    limit = TIMEOUT.get(path.name, 120)
    client = nbclient.NotebookClient(
        nb, timeout=limit, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}, allow_errors=False
    )
    start = time.perf_counter()
    client.execute()
    elapsed = time.perf_counter() - start
    nbformat.write(nb, tmp_path / path.name)  # the executed copy, for a person to open when debugging
    images = sum("image/png" in o.get("data", {}) for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))
    assert images >= FIGURES.get(path.name, 1), f"{path.name} drew {images} figures"
    assert elapsed < limit
    assert os.environ["CLV_NOTEBOOK_FAST"] == "1"

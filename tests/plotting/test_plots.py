"""Every diagnostic plot renders to PNG on CDNOW, labels its axes and draws what it is given."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable

import matplotlib
import numpy as np
import pandas as pd
import pytest

import clv
from clv import plotting

matplotlib.use("Agg")
import matplotlib.pyplot as plt


@pytest.fixture(scope="module")
def cdnow() -> dict[str, Any]:
    tx = clv.datasets.load_cdnow()
    ch = clv.calibration_holdout(tx, calibration_end="1997-09-30", observation_end="1998-06-30")
    bg = clv.BetaGeo().fit(ch)
    return {"tx": tx, "ch": ch, "bg": bg, "result": clv.validate(bg, ch, transactions=tx)}


def _cases(d: dict[str, Any]) -> dict[str, tuple[Callable[..., Any], Any]]:
    bg, ch, tx = d["bg"], d["ch"], d["tx"]
    return {
        "period_transactions": (plotting.plot_period_transactions, clv.period_transactions(bg, ch)),
        "calibration_holdout": (plotting.plot_calibration_holdout, d["result"]),
        "cumulative_tracking": (plotting.plot_cumulative_tracking, d["result"].tracking),
        "incremental_tracking": (plotting.plot_incremental_tracking, d["result"].tracking),
        "frequency_recency_matrix": (plotting.plot_frequency_recency_matrix, clv.frequency_recency_matrix(bg, ch, t=39)),
        "probability_alive_matrix": (plotting.plot_probability_alive_matrix, clv.probability_alive_matrix(bg, ch)),
        "alive_history": (plotting.plot_alive_history, clv.alive_history(bg, tx, 1, observation_end="1998-06-30")),
    }


NAMES = [
    "period_transactions", "calibration_holdout", "cumulative_tracking", "incremental_tracking",
    "frequency_recency_matrix", "probability_alive_matrix", "alive_history",
]
LEGENDS = {
    "period_transactions": ["Actual", "Model"],
    "calibration_holdout": ["Actual", "Model"],
    "cumulative_tracking": ["Actual", "Model", "End of calibration"],
    "incremental_tracking": ["Actual", "Model", "End of calibration"],
    "alive_history": ["P(alive)", "Purchase"],
}


@pytest.mark.parametrize("name", NAMES)
def test_plot_renders_png(cdnow: dict[str, Any], name: str, tmp_path: Path) -> None:
    func, data = _cases(cdnow)[name]
    fig, ax = plt.subplots(figsize=(7, 4.5))
    try:
        returned = func(data, ax=ax)
        assert returned is ax
        assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title()
        legend = ax.get_legend()
        if name in LEGENDS:
            assert [t.get_text() for t in legend.get_texts()] == LEGENDS[name]
        else:  # heat maps carry a labelled colour bar instead of a legend
            colorbar_axes = [a for a in fig.axes if a is not ax]
            assert len(colorbar_axes) == 1 and colorbar_axes[0].get_ylabel()
        fig.tight_layout()
        path = tmp_path / f"{name}.png"
        fig.savefig(path, dpi=60)
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert path.stat().st_size > 5_000
    finally:
        plt.close(fig)


def test_plots_draw_exactly_the_computed_values(cdnow: dict[str, Any]) -> None:
    cases = _cases(cdnow)
    fig, axes = plt.subplots(2, 2)
    try:
        table, tracking = cases["period_transactions"][1], cdnow["result"].tracking
        ax = plotting.plot_period_transactions(table, ax=axes[0, 0])
        heights = [p.get_height() for p in ax.patches]
        np.testing.assert_allclose(heights, np.r_[table["actual"], table["expected"]])

        ax = plotting.plot_cumulative_tracking(tracking, ax=axes[0, 1])
        actual, model = ax.get_lines()[:2]
        np.testing.assert_allclose(model.get_ydata(), tracking.table["expected_cumulative"])
        np.testing.assert_allclose(actual.get_xdata(), np.arange(1, 79))
        assert model.get_ydata()[-1] == pytest.approx(4160.6, abs=0.05)

        grid = cases["probability_alive_matrix"][1]
        ax = plotting.plot_probability_alive_matrix(grid, ax=axes[1, 0])
        np.testing.assert_allclose(np.asarray(ax.collections[0].get_array()).reshape(grid.values.shape), grid.values)
        assert ax.collections[0].get_clim() == (0.0, 1.0)

        by_freq = cdnow["result"].by_frequency
        ax = plotting.plot_calibration_holdout(by_freq, ax=axes[1, 1])  # the table works as well as the result
        np.testing.assert_allclose(ax.get_lines()[1].get_ydata(), by_freq["predicted"])
    finally:
        plt.close(fig)


def test_new_figure_when_no_axes(cdnow: dict[str, Any]) -> None:
    ax = plotting.plot_incremental_tracking(cdnow["result"].tracking)
    try:
        assert ax.get_ylabel() == "Repeat transactions per week"
        assert ax.get_title() == "Tracking weekly repeat transactions"
    finally:
        plt.close(ax.figure)


def test_importing_clv_does_not_import_matplotlib() -> None:
    code = "import sys, clv, clv.plotting; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_plotting_never_fits_or_evaluates() -> None:
    """plotting draws precomputed results: it imports no clv module and calls no model method."""
    tree = ast.parse(Path(plotting.__file__).read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            assert not (node.module or "").startswith("clv")
        if isinstance(node, ast.Import):
            assert not any(alias.name.startswith("clv") for alias in node.names)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            assert node.func.attr not in {"fit", "expected_purchases", "probability_alive", "expected_purchases_new"}


def test_tracking_plot_units_follow_the_tracking(cdnow: dict[str, Any]) -> None:
    tracking = cdnow["result"].tracking
    daily = clv.Tracking(table=pd.DataFrame(tracking.table), calibration_periods=273.0, time_unit="D", n_customers=1)
    ax = plotting.plot_incremental_tracking(daily)
    try:
        assert ax.get_xlabel() == "Time since start of cohort (days)"
        assert ax.get_title() == "Tracking daily repeat transactions"
    finally:
        plt.close(ax.figure)

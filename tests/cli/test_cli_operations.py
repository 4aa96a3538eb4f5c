"""clv abtest and clv backtest: files written, the sentence printed, bad input refused in one line."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

import clv
from clv.cli import main


@pytest.fixture(scope="module")
def experiment(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("ab")
    arms = {"control": {"share": 0.5}, "B <b>": {"share": 0.5, "params": {"r": 0.243, "alpha": 3.0, "a": 0.793, "b": 2.426}}}
    sim = clv.simulate(1600, seed=6, start="2024-01-01", end="2024-10-01", acquisition_end="2024-03-01", channels=arms)
    sim.transactions.to_csv(d / "tx.csv", index=False)
    table = sim.customers["channel"].rename("arm").reset_index()
    table.to_csv(d / "arms.csv", index=False)
    table.assign(assigned_at=sim.customers["acquired_at"].dt.date.to_numpy()).to_csv(d / "arms_dated.csv", index=False)
    return {"tx": d / "tx.csv", "arms": d / "arms.csv", "dated": d / "arms_dated.csv"}


def test_abtest_writes_report(experiment, tmp_path):
    out = tmp_path / "ab"
    result = CliRunner().invoke(main, ["abtest", "-t", str(experiment["tx"]), "--arms", str(experiment["arms"]), "--out",
                                       str(out), "--n-draws", "50", "-q"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Arm B <b> against control: expected LTV")
    summary = json.loads((out / "abtest.json").read_text())
    assert set(summary["files"]) == {"ab_arms.csv", "ab_curves.csv", "ab_metrics.csv", "ab_tests.csv", "abtest.json",
                                     "index.html", "summary.md"}
    html = (out / "index.html").read_text()
    assert "B <b>" not in html and "B &lt;b&gt;" in html and "data:image/png;base64," in html
    metrics = pd.read_csv(out / "ab_metrics.csv")
    assert metrics["metric"].tolist() == ["purchase_rate", "dropout", "p_alive", "spend", "ltv"]
    # rerun into the same directory replaces it; a dated arms table works too
    again = CliRunner().invoke(main, ["abtest", "-t", str(experiment["tx"]), "--arms", str(experiment["dated"]), "--out",
                                      str(out), "--n-draws", "50", "-q", "--control", "control"])
    assert again.exit_code == 0, again.output


def test_abtest_bad_input_is_one_line(experiment, tmp_path):
    out = tmp_path / "bad"
    result = CliRunner().invoke(main, ["abtest", "-t", str(experiment["tx"]), "--arms", str(experiment["arms"]), "--out",
                                       str(out), "--control", "nobody", "-q"])
    assert result.exit_code == 2 and result.output.count("\n") == 1 and "control='nobody'" in result.output
    assert not out.exists()
    arms = tmp_path / "arms.csv"
    arms.write_text("customer_id,arm\n1,A\n1,B\n")
    result = CliRunner().invoke(main, ["abtest", "-t", str(experiment["tx"]), "--arms", str(arms), "--out", str(out)])
    assert result.exit_code == 2 and "twice" in result.output


def test_backtest_writes_tables(tmp_path):
    out = tmp_path / "bt"
    result = CliRunner().invoke(main, ["backtest", "-t", str(clv.datasets.data_path("cdnow_sample.csv")), "--holdout", "39",
                                       "--observation-end", "1998-06-30", "--out", str(out), "--currency", "USD"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "predicted 1,653 repeat purchases against 1,882 actual (−12.1%)" in result.output
    summary = json.loads((out / "backtest.json").read_text())
    assert round(summary["metrics"]["predicted_total"], 1) == 1653.4
    assert len(pd.read_csv(out / "backtest_tracking.csv")) == 78

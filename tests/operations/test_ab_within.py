"""The within-customer A/B design for existing customers (clv.operations.ab_within, issue 15).

The 200-experiment calibration is benchmarks/bench_ab_calibration.py --design existing; its figures are in
benchmarks/RESULTS.md ("Session 5: A/B calibration", "Session 6: A/B calibration").
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import clv
from clv.cli import main
from clv.errors import DataError
from clv.operations import experiment_rfm
from clv.operations.ab_permutation import pooled_values
from clv.operations.ab_test import REFERENCE_ONLY
from clv.operations.ab_within import choose_design, fit_pooled_within, fit_within

BASE = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}  # CDNOW BG/NBD (Fader, Hardie & Lee 2005)


def _existing(n: int, multiplier: float, seed: int, model: str = "BetaGeo") -> tuple[clv.Simulation, pd.DataFrame]:
    """Customers acquired over 2024, all assigned on 2025-01-01, observed to 2025-12-31."""
    arms = {"control": {"assigned_at": "2025-01-01"}, "treatment": {"assigned_at": "2025-01-01", "rate_multiplier": multiplier}}
    params = BASE if model != "ParetoNBD" else None
    sim = clv.simulate(n, params=params, seed=seed, start="2024-01-01", acquisition_end="2025-01-01", end="2026-01-01",
                       channels=arms, model=model)
    table = sim.customers[["channel", "assigned_at"]].rename(columns={"channel": "arm"}).reset_index()
    return sim, table


@pytest.fixture(scope="module")
def existing():
    sim, table = _existing(2000, 1.5, seed=4)
    return sim, table, experiment_rfm(sim.transactions, table, observation_end="2025-12-31", history=True)


def test_history_columns_by_hand():
    tx = clv.read_transactions(pd.DataFrame({"customer_id": [1, 1, 1, 1, 2, 3], "amount": [5.0, 8.0, 4.0, 2.0, 3.0, 1.0],
                                             "date": ["2024-01-01", "2024-01-15", "2024-02-05", "2024-02-19", "2024-02-12",
                                                      "2024-01-01"]}))
    arms = pd.DataFrame({"customer_id": [1, 2, 3], "arm": ["A", "B", "B"], "assigned_at": pd.to_datetime(["2024-01-29"] * 3)})
    h = experiment_rfm(tx, arms, observation_end="2024-02-26", history=True)
    # customer 1: first purchase 01-01, repeats 01-15 (before assignment), 02-05 and 02-19 (after)
    assert h.loc[1, ["hist_frequency", "hist_recency", "hist_T", "hist_tau", "hist_frequency_pre", "hist_recency_pre"]].tolist() == \
        [3.0, 7.0, 8.0, 4.0, 1.0, 2.0]
    # customer 2 first bought after assignment: tau 0, nothing before
    assert h.loc[2, ["hist_frequency", "hist_T", "hist_tau", "hist_frequency_pre"]].tolist() == [0.0, 2.0, 0.0, 0.0]
    assert h.loc[3, ["hist_frequency", "hist_tau", "hist_frequency_pre", "hist_recency_pre"]].tolist() == [0.0, 4.0, 0.0, 0.0]
    assert h.loc[1, "frequency"] == 2.0  # the post-assignment columns are unchanged


def test_theta_recovered(existing):
    _, _, rfm = existing
    fit = fit_within(rfm, "arm", ["control", "treatment"], "BetaGeo", {"r": 0.5, "alpha": 5.0, "a": 1.0, "b": 2.0})
    ratio = fit.theta["treatment"] / fit.theta["control"]
    se = np.sqrt(fit.covariance[4, 4] + fit.covariance[5, 5] - 2 * fit.covariance[4, 5])
    assert abs(np.log(ratio) - np.log(1.5)) < 3 * se
    assert fit.theta["control"] == pytest.approx(1.0, abs=4 * np.sqrt(fit.covariance[4, 4]))
    assert fit.params["r"] == pytest.approx(BASE["r"], rel=0.3)
    assert fit.tests["treatment"]["p_value"] < 1e-4 and fit.n_customers == len(rfm)


def test_ab_test_chooses_the_design(existing):
    _, _, rfm = existing
    res = clv.ab_test(rfm, control="control", margin=0.3, n_draws=40, seed=1)
    assert res.settings["design"] == "within-customer" and "bought before their assignment" in res.settings["design_note"]
    t = res.table.set_index("metric")
    assert t.loc["purchase_rate", "test"] == "likelihood ratio, 1 df (within-customer)"
    assert t.loc["purchase_rate", "ratio"] == pytest.approx(res.within.theta["treatment"] / res.within.theta["control"])
    assert t.loc["purchase_rate", "ratio_lower"] < t.loc["purchase_rate", "ratio"] < t.loc["purchase_rate", "ratio_upper"]
    assert t.loc["ltv", "difference_lower"] > 0 and "within-customer" in res.summary()
    assert "purchase_rate (within-customer): treatment" in res.tests.index
    # dropout, P(alive), spend and the omnibus: permutation tests of per-customer values under one label-free fit
    for metric in ("dropout", "p_alive", "spend"):
        assert t.loc[metric, "test"].startswith("permutation of Welch t")
    omnibus = res.tests.loc["omnibus (permutation): treatment"]
    assert omnibus["df"] == 4 and omnibus["p_value"] < 0.01  # x1.5 after assignment: the purchases column sees it
    assert "permutation p = " in res.summary()
    assert res.tests.loc["purchase_model", "hypothesis"].endswith(REFERENCE_ONLY)
    assert not res.tests.loc["purchase_rate (within-customer): treatment", "hypothesis"].endswith(REFERENCE_ONLY)
    values = pooled_values(rfm, None, res.models["*"][1], fit_pooled_within(rfm, "arm", ["control", "treatment"], res.within))
    means = values.groupby(rfm["arm"]).mean()
    assert t.loc["p_alive", ["control", "treatment"]].tolist() == pytest.approx(means["p_alive"].tolist(), rel=1e-9)
    assert means.loc["control", "purchases"] < 0 < means.loc["treatment", "purchases"]  # scores in ln(theta) at the pooled fit
    off = clv.ab_test(rfm, control="control", n_draws=40, seed=1, within=False)
    assert off.settings["design"] == "post-assignment" and off.within is None and "turned off" in off.settings["design_note"]
    used, note = choose_design(rfm.drop(columns=[c for c in rfm.columns if c.startswith("hist_")]), "BetaGeo", None)
    assert not used and "history=True" in note


def test_pareto_keeps_the_post_assignment_test():
    sim, table = _existing(300, 1.0, seed=2, model="ParetoNBD")
    rfm = experiment_rfm(sim.transactions, table, history=True)
    used, note = choose_design(rfm, "ParetoNBD", None)
    assert not used and "calendar time" in note and choose_design(rfm, "ModifiedBetaGeo", None)[0]
    with pytest.raises(DataError, match="within=True"):
        clv.ab_test(rfm, control="control", model=clv.ParetoNBD(), n_draws=30, seed=1, within=True)


def test_cli_abtest_uses_pre_assignment_history(existing, tmp_path):
    sim, table, _ = existing
    sim.transactions.to_csv(tmp_path / "tx.csv", index=False)
    table.assign(assigned_at=table["assigned_at"].dt.date).to_csv(tmp_path / "arms.csv", index=False)
    out = tmp_path / "ab"
    args = ["abtest", "-t", str(tmp_path / "tx.csv"), "--arms", str(tmp_path / "arms.csv"), "--n-draws", "40", "-q"]
    result = CliRunner().invoke(main, [*args, "--out", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "within-customer" in result.output
    summary = json.loads((out / "abtest.json").read_text())
    assert summary["settings"]["design"] == "within-customer"
    tests = pd.read_csv(out / "ab_tests.csv")
    assert "purchase_rate (within-customer): treatment" in tests["test"].tolist()
    html = (out / "index.html").read_text()
    assert "Which test:</b> within-customer design" in html and "within-customer LR: purchase rate multiplier" in html
    off = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "off"), "--no-within"], catch_exceptions=False)
    assert off.exit_code == 0 and json.loads((tmp_path / "off" / "abtest.json").read_text())["settings"]["design"] == "post-assignment"

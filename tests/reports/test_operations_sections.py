"""The channel report's operations sections: retention by cohort and the backtest (clv.reports.operations_sections)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

import clv
from clv.channels import channel_report, fit_channel_models
from clv.operations import operations_extra
from clv.reports import default_sections, write_report
from clv.reports.operations_sections import with_operations

EVIL = '<img src=x onerror="alert(1)">'


@pytest.fixture(scope="module")
def business():
    channels = {"search": {"share": 0.6}, EVIL: {"share": 0.4, "params": {"r": 0.6, "alpha": 4.0, "a": 0.5, "b": 3.0}}}
    sim = clv.simulate(2500, seed=8, start="2024-01-01", end="2025-01-01", channels=channels)
    tx = clv.read_transactions(sim.transactions)
    rfm = clv.rfm_summary(tx, observation_end="2024-12-31")
    acq = clv.read_acquisitions(sim.acquisitions)
    models = fit_channel_models(rfm, acq)
    scores = models.score(rfm, acq.set_index("customer_id")["channel"], horizon=52, discount_rate=0.1, margin=0.3)
    report = channel_report(scores, acq, transactions=tx, rfm=rfm, models=models, n_draws=0, margin=0.3)
    return {"tx": tx, "acq": acq, "models": models, "report": report}


def test_sections_files_and_sentence(business, tmp_path):
    extra = operations_extra(business["tx"], business["acq"], business["models"].transaction_models, observation_end="2024-12-31")
    out = write_report(business["report"], tmp_path / "r", sections=with_operations(default_sections()), extra=extra,
                       currency="USD")
    summary = json.loads((out / "summary.json").read_text())
    for name in ("retention.csv", "backtest_channels.csv", "backtest_tracking.csv", "backtest_deciles.csv"):
        assert name in summary["files"]
    bt = summary["sections"]["backtest"]
    assert bt["computed"] and bt["sentence"].startswith("On your last 13 weeks (2024-10-02 to 2024-12-31) the method")
    retention = pd.read_csv(out / "retention.csv", keep_default_na=False)
    assert set(retention["channel"]) == {"search", EVIL}
    assert {"share", "expected_share", "cumulative", "expected_cumulative", "complete"} <= set(retention.columns)
    html = (out / "index.html").read_text()
    assert EVIL not in html and 'id="retention"' in html and 'id="backtest"' in html
    assert bt["sentence"].replace("−", "&minus;") in html or bt["sentence"] in html
    assert "Retention by cohort" in (out / "summary.md").read_text()


def test_short_data_skips_backtest_with_a_note(business, tmp_path):
    tx = business["tx"][business["tx"]["date"] < "2024-05-01"]
    extra = operations_extra(tx, business["acq"], business["models"].transaction_models, observation_end="2024-04-30")
    assert extra["backtest"] is None and "backtest skipped" in extra["backtest_note"]
    out = write_report(business["report"], tmp_path / "short", sections=with_operations(default_sections()), extra=extra)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["sections"]["backtest"]["computed"] is False
    assert "Backtest skipped" in (out / "index.html").read_text()
    assert "backtest_channels.csv" not in summary["files"]

"""The lifecycle section of the channel report (clv.reports.lifecycle_section) and per-channel stages."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import clv
from clv.channels import channel_report, fit_channel_models
from clv.reports import default_sections, write_report
from clv.reports.lifecycle_section import LifecycleSection, lifecycle_extra, with_lifecycle

EVIL = '<script>alert("x")</script>'


@pytest.fixture(scope="module")
def business():
    channels = {
        "search": {"share": 0.5},
        EVIL: {"share": 0.3, "params": {"r": 0.6, "alpha": 4.0, "a": 0.5, "b": 3.0}},
        "tiny": {"share": 0.2},
    }
    sim = clv.simulate(3000, seed=5, start="2024-01-01", end="2025-06-30", channels=channels)
    tx = clv.read_transactions(sim.transactions)
    rfm = clv.rfm_summary(tx, observation_end="2025-06-30")
    acq = clv.read_acquisitions(sim.acquisitions)
    spend = clv.read_channel_spend(pd.DataFrame({"channel": ["search", EVIL, "tiny"], "period": ["2024-03"] * 3,
                                                 "spend": [1000.0, 500.0, 0.0]}))
    models = fit_channel_models(rfm, acq, min_customers=700)  # "tiny" (600 customers) uses the pooled model
    channel_of = acq.set_index("customer_id")["channel"]
    scores = models.score(rfm, channel_of, horizon=52, discount_rate=0.1, margin=0.3)
    report = channel_report(scores, acq, spend=spend, transactions=tx, rfm=rfm, models=models, n_draws=0, margin=0.3)
    return {"tx": tx, "rfm": rfm, "models": models, "channel_of": channel_of, "scores": scores, "report": report}


def test_per_channel_stages_use_each_channels_model(business):
    models, rfm, scores, channel_of = business["models"], business["rfm"], business["scores"], business["channel_of"]
    tms = {name: tm for name, tm in models.transaction_models.items()}
    grouped = clv.lifecycle_stage(scores, rfm, tms, groups=channel_of)
    for name in ("search", EVIL):
        ids = channel_of.index[channel_of == name]
        alone = clv.lifecycle_stage(scores.loc[ids], rfm.loc[ids], tms[name])
        pd.testing.assert_frame_equal(grouped.loc[ids], alone)
    tiny = channel_of.index[channel_of == "tiny"]
    pooled = clv.lifecycle_stage(scores.loc[tiny], rfm.loc[tiny], tms["*"])
    pd.testing.assert_frame_equal(grouped.loc[tiny], pooled)
    with pytest.raises(clv.DataError, match="pass groups="):
        clv.lifecycle_stage(scores, rfm, tms)
    with pytest.raises(clv.DataError, match="no pooled model under"):
        clv.lifecycle_stage(scores, rfm, {"search": tms["search"]}, groups=channel_of)


def test_report_files_and_contents(business, tmp_path):
    extra = lifecycle_extra(business["scores"], business["rfm"], business["models"], business["channel_of"], top=50,
                            transactions=business["tx"])
    out = write_report(business["report"], tmp_path / "report", sections=with_lifecycle(default_sections()), extra=extra)
    summary = json.loads((out / "summary.json").read_text())
    assert {"lifecycle_mix.csv", "watchlist.csv"} <= set(summary["files"])
    section = summary["sections"]["lifecycle"]
    assert section["computed"] and sum(section["stages"].values()) == len(business["rfm"])
    assert section["options"]["churn_p_alive"] == 0.3

    mix = pd.read_csv(out / "lifecycle_mix.csv", keep_default_na=False)
    assert mix["channel"].tolist()[-1] == "all"
    assert set(mix["channel"]) == {"search", EVIL, "tiny", "all"}
    assert np.allclose(mix[list(clv.STAGES)].sum(axis=1), 1.0)
    assert np.allclose(mix[list(clv.VALUE_TIERS)].sum(axis=1), 1.0)
    assert mix.set_index("channel").loc["all", "customers"] == len(business["rfm"])

    watch = pd.read_csv(out / "watchlist.csv")
    assert len(watch) == 50 and watch["rank"].tolist() == list(range(1, 51))
    assert watch["value_at_risk"].is_monotonic_decreasing
    assert set(watch["stage"]) == {"declining"} and set(watch["qualifies"]) == {"declining stage"}
    for col in ("customer_id", "channel", "stage", "qualifies", "last_purchase", "purchases", "aov", "value_tier",
                "since_last_purchase", "frequency", "monetary_value", "p_alive", "clv", "value_at_risk"):
        assert col in watch.columns
    assert pd.to_datetime(watch["last_purchase"]).max() <= pd.Timestamp("2025-06-30")
    assert (watch["purchases"] == watch["frequency"] + 1).all()

    html = (out / "index.html").read_text()
    assert EVIL not in html and "&lt;script&gt;" in html
    assert 'id="lifecycle"' in html and "Share of customers in each lifecycle stage per channel" in html
    assert html.index('id="customers"') < html.index('id="lifecycle"') < html.index('id="reconciliation"')
    md = (out / "summary.md").read_text()
    assert "## Lifecycle stages and churn-risk watchlist" in md and "<script>" not in md


def test_section_without_data_says_so(business, tmp_path):
    out = write_report(business["report"], tmp_path / "plain", sections=[*default_sections(), LifecycleSection()])
    summary = json.loads((out / "summary.json").read_text())
    assert summary["sections"]["lifecycle"] == {"computed": False}
    assert "lifecycle_mix.csv" not in summary["files"]
    assert "Lifecycle stages were not computed" in (out / "index.html").read_text()


def test_with_lifecycle_places_the_section_once():
    keys = [s.key for s in with_lifecycle(with_lifecycle(default_sections()))]
    assert keys.count("lifecycle") == 1 and keys[keys.index("customers") + 1] == "lifecycle"
    assert [s.key for s in with_lifecycle([])] == ["lifecycle"]


class _Posterior:
    """Stand-in for posterior channel models: two draws per channel, no point estimate."""

    def __init__(self, model):
        self.sets = [{"*": (model.with_params(model.result_.estimates * f), None)} for f in (0.9, 1.1)]

    def point(self):
        return None

    def draws(self, n, *, seed):
        return self.sets


def test_posterior_models_use_the_mean_parameters(cdnow_split):
    ch, bg, scores = cdnow_split.holdout, cdnow_split.model, cdnow_split.scores
    channel_of = pd.Series("web", index=ch.index)
    extra = lifecycle_extra(scores, ch, _Posterior(bg), channel_of)
    direct = clv.customer_segments(scores, ch, bg)
    assert (extra["segments"]["stage"] == direct["stage"]).all()
    assert np.allclose(extra["segments"]["activity"], direct["activity"])
    single = lifecycle_extra(scores, ch, bg)  # a single fitted model needs no channels
    assert "channel" not in single["segments"].columns
    with pytest.raises(clv.DataError, match="unknown lifecycle option 'churn'"):
        lifecycle_extra(scores, ch, bg, churn=0.2)

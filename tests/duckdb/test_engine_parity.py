"""Engine parity: pandas and DuckDB give the same summaries, parameters, scores and channel tables.

To the last bit wherever both engines do the same arithmetic (everything but revenue to date: pandas
adds the raw rows with Kahan summation in file order, the engines add the day totals, so the
realized-value columns agree to a few ulps, rtol 1e-12). Spark's parity with pandas on CDNOW and
simulated data is in tests/spark. The large-base check is marked slow (1M customers: bench_scale.py --parity).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import clv
import clv.duckdb
from clv.cli import main
from clv.datasets import data_path

pytest.importorskip("duckdb")

REVENUE_COLUMNS = {"revenue_to_date", "ltv_realized", "ltv_expected", "ltv_to_cac", "realized_to_cac", "share_of_value",
                   "ltv_lower", "ltv_upper", "prob_ltv_exceeds_cac"}


def _run(args: list[str]) -> str:
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("model", ["bgnbd", "paretonbd"])
def test_cdnow_cli_fit_and_score_are_byte_identical(tmp_path, model):
    t = str(data_path("cdnow_sample.csv"))
    common = ["-t", t, "--observation-end", "1997-09-30", "--transaction-model", model, "-q"]
    assert _run(["fit", *common, "--json"]) == _run(["fit", *common, "--json", "--engine", "duckdb"])
    _run(["score", *common, "-o", str(tmp_path / "p.csv"), "--interval", "0.9"])
    _run(["score", *common, "-o", str(tmp_path / "d.csv"), "--interval", "0.9", "--engine", "duckdb"])
    assert (tmp_path / "p.csv").read_bytes() == (tmp_path / "d.csv").read_bytes()
    assert json.loads(_run(["fit", *common, "--json", "--engine", "duckdb"]))["customers"] == 2357


def _compare(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    assert list(got.columns) == list(expected.columns) and got.index.equals(expected.index)
    for col in expected.columns:
        a, b = got[col], expected[col]
        if col in REVENUE_COLUMNS and a.dtype.kind == "f":
            np.testing.assert_allclose(a.to_numpy(), b.to_numpy(), rtol=1e-12, equal_nan=True, err_msg=col)
        else:
            pd.testing.assert_series_equal(a, b, check_exact=True)


def test_demo_channel_report_parity():
    tx_path, acq_path = data_path("demo/transactions.csv"), data_path("demo/acquisitions.csv")
    settings = {"horizon": 52.0, "discount_rate": 0.1, "margin": 0.3, "time_unit": "W"}
    tx, acq = clv.read_transactions(tx_path), clv.read_acquisitions(acq_path)
    spend = clv.read_channel_spend(data_path("demo/channel_spend.csv"))
    rfm = clv.rfm_summary(tx, observation_end="2025-12-31")
    models = clv.fit_channel_models(rfm, acq)
    channel_of = acq.set_index("customer_id")["channel"].reindex(rfm.index).fillna("(none)")
    scores = models.score(rfm, channel_of, **settings)
    inputs = clv.duckdb.report_inputs(tx_path, acq, observation_end="2025-12-31", chunk_size=4096, **settings)
    pd.testing.assert_frame_equal(inputs.rfm, rfm, check_exact=True)
    assert inputs.rfm.attrs == rfm.attrs
    pd.testing.assert_frame_equal(inputs.scores.drop(columns="revenue_to_date"), scores, check_exact=True)
    for name, pm in models.transaction_models.items():
        assert (inputs.models.transaction_models[name].params_.to_numpy() == pm.params_.to_numpy()).all(), name
        assert (inputs.models.spend_models[name].params_.to_numpy() == models.spend_models[name].params_.to_numpy()).all()
    kw = {"spend": spend, "rfm": rfm, "n_draws": 0, **settings}
    want = clv.channel_report(scores, acq, transactions=tx, models=models, **kw)
    got = clv.channel_report(inputs.scores, acq, models=inputs.models, **{**kw, "rfm": inputs.rfm})
    _compare(got.table, want.table)
    _compare(got.cohorts, want.cohorts)
    means = clv.engine_fit.channel_means(inputs.channel_sums)
    _compare(means[["customers", "ltv_realized", "ltv_expected"]], want.table.loc[means.index, ["customers", "ltv_realized",
                                                                                               "ltv_expected"]])


def _fast_log(n: int, seed: int) -> pd.DataFrame:
    """A quick BG/NBD-like log (Poisson purchases while alive), n customers over two years."""
    rng = np.random.default_rng(seed)
    first = rng.integers(0, 365, n)
    lam = rng.gamma(0.25, 1 / 5.0, n)  # purchases per day
    life = rng.exponential(300.0, n)
    k = rng.poisson(lam * np.minimum(life, 730 - first)) + 1
    cust = np.repeat(np.arange(1, n + 1), k)
    offset = (rng.random(k.sum()) * np.repeat(np.minimum(life, 730 - first), k)).astype(np.int64)
    offset[np.r_[0, np.cumsum(k)[:-1]]] = 0
    day = np.repeat(first, k) + offset
    amount = np.round(rng.gamma(3.0, 12.0, k.sum()), 2)
    return pd.DataFrame({"customer_id": cust, "date": np.datetime64("2023-01-01") + day.astype("timedelta64[D]"),
                         "amount": amount})


@pytest.mark.slow
def test_large_simulated_base(tmp_path):
    """200k customers, heavy buyers (past 248 repeat days) and same-day repeats; the 1M-customer run is
    benchmarks/bench_scale.py --parity."""
    log = _fast_log(200_000, seed=3)
    path = tmp_path / "tx.parquet"
    log.to_parquet(path, index=False)
    rfm = clv.rfm_summary(log, observation_end="2024-12-31")
    drfm = clv.duckdb.rfm_summary(path, observation_end="2024-12-31")
    pd.testing.assert_frame_equal(drfm.to_pandas(), rfm, check_exact=True)
    assert rfm["frequency"].max() > 248
    bg, dbg = clv.BetaGeo().fit(rfm), clv.duckdb.fit(clv.BetaGeo(), drfm)
    assert (bg.params_.to_numpy() == dbg.params_.to_numpy()).all()

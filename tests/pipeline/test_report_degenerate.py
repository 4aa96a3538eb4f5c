"""The report on degenerate data (issue 11): homogeneous spend, and the bugs the pipeline harness found.

Each harness finding has its own test here, named after what broke.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import clv
from clv.cli import main


def _report(tmp_path, tx: pd.DataFrame, acq: pd.DataFrame, *extra: str) -> tuple[int, object]:
    tx.to_csv(tmp_path / "tx.csv", index=False)
    acq.to_csv(tmp_path / "acq.csv", index=False)
    args = ["report", "-t", str(tmp_path / "tx.csv"), "-a", str(tmp_path / "acq.csv"), "--out", str(tmp_path / "out"),
            "--n-draws", "4", "--quiet", *extra]
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    return exit_info.value.code, tmp_path / "out"


@pytest.fixture(scope="module")
def iid_shop() -> tuple[pd.DataFrame, pd.DataFrame]:
    """800 simulated customers whose amounts are all i.i.d. Gamma(6, scale 35/6): no spend heterogeneity."""
    sim = clv.simulate(800, seed=4, start="2024-01-01", end="2025-12-31")
    tx = sim.transactions.copy()
    tx["amount"] = np.round(np.random.default_rng(4).gamma(6, 35 / 6, size=len(tx)), 2)
    tx["date"] = tx["date"].dt.strftime("%Y-%m-%d")
    acq = sim.acquisitions.assign(channel="web", acquired_at=lambda d: d["acquired_at"].dt.strftime("%Y-%m-%d"))
    return tx, acq


@pytest.mark.slow
def test_homogeneous_spend_report_ltv_is_what_the_limit_model_implies(iid_shop, tmp_path) -> None:
    tx, acq = iid_shop
    code, out = _report(tmp_path, tx, acq, "--observation-end", "2025-12-31", "--margin", "0.3")
    assert code == 0
    channels = pd.read_csv(out / "channels.csv").set_index("channel")
    assert channels.loc["web", "model_source"].startswith("pooled MLE (channel fit at a boundary: GammaGamma: homogeneous_spend")
    customers = pd.read_csv(out / "customers.csv").set_index("customer_id")

    # By hand: the limit model's expected spend is one value for everyone, the
    # transaction-weighted mean of the repeat buyers' mean spends.
    rfm = clv.rfm_summary(clv.read_transactions(tmp_path / "tx.csv"), observation_end="2025-12-31")
    rep = rfm[(rfm["frequency"] > 0) & (rfm["monetary_value"] > 0)]
    mean_spend = float((rep["frequency"] * rep["monetary_value"]).sum() / rep["frequency"].sum())
    # The discounted purchases of each customer, valued at a spend of exactly 1 (a one-price stand-in).
    bg = clv.BetaGeo().fit(rfm)
    unit = clv.GammaGamma().fit(rfm.assign(monetary_value=1.0))
    assert unit.boundary_["kind"] == "constant_spend"
    per_unit = clv.customer_value(bg, unit, rfm, horizon=52, discount_rate=0.1, margin=0.3, time_unit="W")["clv"]
    expected_clv = mean_spend * per_unit
    # CSV money is rounded to the cent (issue 17): equal to the limit model's value within half a cent.
    np.testing.assert_allclose(customers.loc[rfm.index, "clv"], expected_clv, rtol=0, atol=0.005 + 1e-9)
    # The channel's expected LTV is the realised value plus that forecast, averaged over its customers.
    ltv = (customers["ltv_realized"] + customers["clv"].fillna(0.0)).mean()
    # (each side rounded to the cent, so they differ by at most one cent)
    assert channels.loc["web", "ltv_expected"] == pytest.approx(ltv, abs=0.01 + 1e-9)


def test_one_price_shop_fits_and_json_shows_the_boundary(tmp_path) -> None:
    """The issue's first case in small: every order at one price gave 'parameter(s) ['p'] ran off to the edge'."""
    sim = clv.simulate(400, seed=2, start="2024-01-01", end="2025-06-30")
    tx = sim.transactions.assign(amount=25.0)
    tx.to_csv(tmp_path / "tx.csv", index=False)
    from click.testing import CliRunner

    result = CliRunner().invoke(main, ["fit", "-t", str(tmp_path / "tx.csv"), "--json", "--quiet"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    spend = json.loads(result.output)["spend_model"]
    assert spend["boundary"]["kind"] in {"constant_spend", "deterministic_spend"}
    assert all(v is None or np.isfinite(v) for v in spend["params"].values())


# -- bugs found by the pipeline harness (test_report_harness.py) --------------------------------------------------------

ONE_CUSTOMER = pd.DataFrame({"customer_id": [1, 1, 1, 1], "date": ["2024-03-24", "2024-05-07", "2024-05-11", "2024-07-05"],
                             "amount": [33.45, 10.6, 20.99, 10.17]})


def test_harness_one_customer_indefinite_information_is_not_a_covariance() -> None:
    """Harness finding 1: one customer with three repeat purchases gave an observed information whose inverse had a
    zero diagonal and huge off-diagonal entries; it was taken as a covariance, parameter draws ran to inf and the
    report's LTV interval was NaN. The information must be positive definite (Cholesky) to give standard errors."""
    rfm = clv.rfm_summary(clv.read_transactions(ONE_CUSTOMER))
    model = clv.BetaGeo().fit(rfm)
    cov = model.result_.cov_log
    if np.all(np.isfinite(cov)):
        np.linalg.cholesky(np.linalg.inv(cov))
        draws = model.result_.sample_params(20, seed=1).to_numpy()
        assert np.isfinite(draws).all()
    else:
        assert np.isnan(cov).all()


def test_harness_one_customer_report_keeps_the_contract(tmp_path) -> None:
    """The report on that customer either succeeds with finite figures or exits 2 with one line and no output."""
    from tests.pipeline.report_inputs import Case
    from tests.pipeline.test_report_harness import check_outcome, run_report

    acq = pd.DataFrame({"customer_id": [1], "channel": ["Ünïcødé ✓ 広告"], "acquired_at": ["2024-03-24"]})
    case = Case(ONE_CUSTOMER, acq, None)
    code, stderr, out = run_report(case, tmp_path)
    check_outcome(code, stderr, out, case)


def test_harness_flat_likelihood_gives_no_standard_errors() -> None:
    """Harness finding 6: one customer with one repeat purchase on the last day leaves the dropout parameters of the
    homogeneous-rate limit unidentified (a = b = 1, the start, with log-scale standard errors of 1,096). That
    "covariance" passed the positive-definiteness check; its draws were 0 and 1e218 and the intervals NaN.
    A log-parameter standard error above 10 now means no standard errors."""
    tx = pd.DataFrame({"customer_id": [1, 1], "date": ["2024-05-04", "2024-05-18"], "amount": [57.17, 25.08]})
    model = clv.BetaGeo().fit(clv.rfm_summary(clv.read_transactions(tx)))
    assert np.isnan(model.result_.cov_log).all()


def test_harness_chart_draws_an_interval_that_misses_the_point_estimate() -> None:
    """Harness finding 2: when every draw equals the estimate, the interval's lower end can exceed it by one
    rounding unit; matplotlib's errorbar refused the negative length and the report died with a traceback."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from clv.reports.charts import ltv_vs_cac

    table = pd.DataFrame({"customers": [1, 5], "ltv_expected": [64.76052265177023, 10.0], "cac": [np.nan, 4.0],
                          "ltv_lower": [64.76052265177024, 12.0], "ltv_upper": [64.76052265177024, 15.0]},
                         index=pd.Index(["a", "b"], name="channel"))
    fig, ax = plt.subplots()
    try:
        ltv_vs_cac(table, ax=ax)
    finally:
        plt.close(fig)


def test_harness_spend_only_channel_says_no_customers(tmp_path) -> None:
    """Harness finding 3: a channel with spend but no customers had empty figures and an empty model_source; the
    figures are n/a by nature, and the row now says why in payback_status and model_source."""
    acq = pd.DataFrame({"customer_id": [1], "channel": ["web"], "acquired_at": ["2024-03-24"]})
    spend = pd.DataFrame({"channel": ["web", "<b>print</b>"], "period": ["2024-03", "2024-03"], "spend": [100.0, 250.0]})
    spend.to_csv(tmp_path / "spend.csv", index=False)
    code, out = _report(tmp_path, ONE_CUSTOMER, acq, "-s", str(tmp_path / "spend.csv"))
    assert code == 0
    table = pd.read_csv(out / "channels.csv").set_index("channel")
    assert table.loc["<b>print</b>", "payback_status"] == "no customers"
    assert table.loc["<b>print</b>", "model_source"] == "none (no customers)"


def test_harness_gamma_gamma_draws_keep_a_finite_mean_spend() -> None:
    """Harness finding 4: with three customers a parametric-bootstrap draw of Gamma-Gamma had q < 1, an infinite
    population mean spend, so ltv_new_upper was inf - inf = NaN. Draws are now conditioned on q > 1."""
    tx = pd.DataFrame({"customer_id": [1] * 9 + [2] * 5 + [3] * 2,
                       "date": ["2024-11-02", "2024-12-08", "2025-01-15", "2025-02-21", "2025-03-04", "2025-03-09", "2025-04-27",
                                "2025-05-14", "2025-07-03", "2024-11-29", "2025-01-07", "2025-01-14", "2025-01-15", "2025-01-23",
                                "2024-02-19", "2024-04-09"],
                       "amount": [23.19, 26.97, 62.1, 44.52, 56.26, 98.59, 149.7, -148.36, 16.29, 100.63, 111.59, 35.92, 5.56,
                                  132.24, 24.16, 29.17]})
    rfm = clv.rfm_summary(clv.read_transactions(tx), observation_end="2025-05-24")
    gg = clv.GammaGamma().fit(rfm)
    draws = gg.result_.sample_params(2000, seed=3)
    assert (draws["q"] > 1).all()
    assert all(np.isfinite(gg.with_params(row).population_mean_spend()) for row in draws.to_numpy()[:50])


def test_harness_carriage_return_in_a_channel_name_keeps_the_csv_readable(tmp_path) -> None:
    """Harness finding 5: a channel name with a bare carriage return was written unquoted to channels.csv and
    customers.csv (pandas quotes only the characters of its line end, "\\n"), so every reader split the row there."""
    acq = pd.DataFrame({"customer_id": [1], "channel": ["cr\rhere"], "acquired_at": ["2024-03-24"]})
    acq.to_parquet(tmp_path / "acq.parquet")  # a format that keeps the name intact on the way in
    ONE_CUSTOMER.to_csv(tmp_path / "tx.csv", index=False)
    with pytest.raises(SystemExit) as exit_info:
        main(["report", "-t", str(tmp_path / "tx.csv"), "-a", str(tmp_path / "acq.parquet"), "--out", str(tmp_path / "out"),
              "--n-draws", "4", "--quiet"])
    assert exit_info.value.code == 0
    channels = pd.read_csv(tmp_path / "out" / "channels.csv")
    customers = pd.read_csv(tmp_path / "out" / "customers.csv")
    assert channels["channel"].tolist() == ["cr\rhere"] and customers["channel"].tolist() == ["cr\rhere"]


def test_harness_runaway_far_beyond_rounding_still_finds_the_limit() -> None:
    """Harness finding 7: one customer with five repeat purchases sent BG/NBD's r and alpha to 6e19 and 3e20, where
    the full log-likelihood (differences of log-gamma values near 1e21) came out as exactly 0.0 and beat every limit
    model, so the fit raised. Beyond e^20 only the limits' own likelihoods are compared now."""
    tx = pd.DataFrame({"customer_id": [1] * 6,
                       "date": ["2024-06-16", "2024-08-13", "2024-08-28", "2024-10-18", "2024-11-17", "2024-12-18"],
                       "amount": [2.66, 9.99, 59.87, 58.26, 16.16, 3.32]})
    rfm = clv.rfm_summary(clv.read_transactions(tx))
    model = clv.BetaGeo().fit(rfm)
    assert model.boundary_["kind"] in {"poisson_no_dropout", "homogeneous_purchase_rate"}
    assert np.isfinite(model.expected_purchases(rfm, 52)).all()
    # By hand: with no dropout and one rate, the MLE of the rate is purchases over time observed (5 in 26.4 weeks).
    if model.boundary_["kind"] == "poisson_no_dropout":
        assert model.params_["lam"] == pytest.approx(5 / rfm["T"].iloc[0])


def test_harness_pareto_fit_on_one_customer_finishes() -> None:
    """Harness finding 8: Pareto/NBD on one customer (five repeat purchases, daily units) sent the optimiser where
    SciPy's hyp2f1 fails and z is within 1e-4 of 1; the fallback series then summed up to 200,000 terms one numpy
    call each, per likelihood evaluation, and the report ran for hours. The series now sums 2,000 terms per call."""
    from clv.kernels.special import hyp2f1

    assert float(hyp2f1(1.0, -0.99, 100.01, 0.93)) == pytest.approx(0.99079307, rel=1e-7)  # SciPy returns inf here
    tx = pd.DataFrame({"customer_id": [1] * 8, "amount": [72.52, 28.3, 42.76, 48.67, 30.63, 34.8, 58.23, 24.74],
                       "date": ["2024-11-12", "2025-01-01", "2025-02-17", "2025-03-01", "2025-03-27", "2025-04-24",
                                "2025-05-20", "2025-06-06"]})
    rfm = clv.rfm_summary(clv.read_transactions(tx), observation_end="2025-04-27", time_unit="D")
    try:
        model = clv.ParetoNBD().fit(rfm)
    except clv.ConvergenceError:
        return
    assert np.isfinite(model.expected_purchases(rfm, 30)).all()


@pytest.mark.slow
def test_report_with_a_limit_purchase_model_finishes(tmp_path) -> None:
    """Found after merging the retention section: the pooled MBG/NBD at its homogeneous-rate limit lacked
    probability_purchase_between and the report exited 2; the retention's expected columns are now n/a instead."""
    sim = clv.simulate(1500, seed=5, start="2024-01-01", end="2025-12-31",
                       params={"r": 1e5, "alpha": 1e5 / 0.3, "a": 0.8, "b": 2.5})
    code, out = _report(tmp_path, sim.transactions, sim.acquisitions, "--observation-end", "2025-12-31",
                        "--transaction-model", "mbgnbd")
    assert code == 0
    row = pd.read_csv(out / "channels.csv").iloc[0]
    assert "ModifiedBetaGeo: homogeneous_purchase_rate" in row["model_source"]
    assert np.isfinite(row[["ltv_expected", "ltv_lower", "ltv_upper", "ltv_new"]].astype(float)).all()

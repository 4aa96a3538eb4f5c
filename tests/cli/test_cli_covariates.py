"""clv report --covariates and clv fit --covariates: the coefficient section end to end, bad covariate files refused in one line."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import clv
from clv.cli import main

REGIONS = np.array(["east", "north", "south", "west"])


@pytest.fixture(scope="module")
def business(tmp_path_factory) -> dict[str, Path]:
    """Two channels; customers in region=north buy twice as often (true purchase:region=north = log 2)."""
    d = tmp_path_factory.mktemp("cov")
    n = 2400
    region = REGIONS[np.arange(n) % 4]
    z = pd.DataFrame({"north": (region == "north").astype(float)})
    channels = {"email": {"share": 0.5}, "search": {"share": 0.5}}
    sim = clv.simulate(n, seed=5, start="2024-01-01", end="2025-06-30", channels=channels, covariates=z,
                       coefficients={"purchase:north": float(np.log(2.0))})
    sim.transactions.to_csv(d / "tx.csv", index=False)
    sim.acquisitions.to_csv(d / "acq.csv", index=False)
    ids = sim.customers.index.to_numpy()
    first = sim.transactions.sort_values(["customer_id", "date"]).drop_duplicates("customer_id").set_index("customer_id")["amount"]
    table = pd.DataFrame({"customer_id": ids, "region": region, "first_order_value": first.reindex(ids).round(2).to_numpy()})
    table.to_csv(d / "customers.csv", index=False)
    return {"dir": d, "tx": d / "tx.csv", "acq": d / "acq.csv", "cov": d / "customers.csv"}


def _report(business: dict[str, Path], out: Path, covariates: Path, *extra: str) -> object:
    args = ["report", "-t", str(business["tx"]), "-a", str(business["acq"]), "--out", str(out), "-q", "--n-draws", "10",
            "--covariates", str(covariates), *extra]
    return CliRunner().invoke(main, args)


@pytest.mark.slow
def test_report_with_covariates_writes_coefficient_section(business, tmp_path):
    out = tmp_path / "report"
    result = _report(business, out, business["cov"], "--purchase-covariates", "region,first_order_value",
                     "--dropout-covariates", "region", "--spend-covariates", "first_order_value")
    assert result.exit_code == 0, result.output
    effects = pd.read_csv(out / "covariate_effects.csv")
    pooled = effects[effects["group"] == "all customers"].set_index("coefficient")
    assert {"purchase:region=north", "purchase:first_order_value", "dropout:region=west", "spend:first_order_value"} <= set(pooled.index)
    north = pooled.loc["purchase:region=north"]
    # the simulated effect (2x) within 3 standard errors; the words say the same
    assert abs(north["estimate"] - np.log(2.0)) < 3 * north["std_err"] and north["effect_lower"] > 1.0
    assert north["meaning"].startswith("customers with region=north buy ") and "as often as those with region=east" in north["meaning"]
    assert "90% interval" in north["meaning"]
    assert np.isclose(north["effect"], np.exp(north["estimate"]))
    summary = json.loads((out / "summary.json").read_text())["sections"]["covariates"]
    assert summary["computed"] and summary["counts"] == {"customers": 2400, "rows_without_transactions": 0}
    assert set(summary["typical_profiles"]) == {"all customers", "email", "search"}
    html = (out / "index.html").read_text()
    assert "Customer covariates" in html and "what this means" in html and "buy " in html
    assert "## Customer covariates" in (out / "summary.md").read_text()
    channels = pd.read_csv(out / "channels.csv")
    assert channels["ltv_new"].notna().all()  # new customers valued at each channel's typical profile


def test_fit_json_prints_the_coefficients(business):
    result = CliRunner().invoke(main, ["fit", "-t", str(business["tx"]), "--covariates", str(business["cov"]),
                                       "--purchase-covariates", "region", "--spend-covariates", "first_order_value", "--json", "-q"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    params = payload["transaction_model"]["params"]
    assert {"purchase:region=north", "purchase:region=south", "purchase:region=west"} <= set(params)
    assert payload["transaction_model"]["std_err"]["purchase:region=north"] > 0
    assert "spend:first_order_value" in payload["spend_model"]["params"]


@pytest.mark.parametrize(("edit", "expected"), [
    (lambda t: t.iloc[:-3], "column 'customer_id': 3 customer(s)"),
    (lambda t: t.assign(first_order_value=t["first_order_value"].astype(object).where(t.index != 6, "n/a")),
     "column 'first_order_value': not a number ('n/a') in row 7"),
    (lambda t: t.assign(region=t["region"].where(t.index != 2, "")), "column 'region': empty value in row 3"),
    (lambda t: pd.concat([t, t.iloc[[4]]]), "column 'customer_id': customer 5 is listed twice"),
])
def test_bad_covariate_file_is_one_line_exit_2(business, tmp_path, edit, expected):
    table = edit(pd.read_csv(business["cov"]))
    bad = tmp_path / "bad.csv"
    table.to_csv(bad, index=False)
    out = tmp_path / "never"
    result = _report(business, out, bad, "--purchase-covariates", "region,first_order_value")
    assert result.exit_code == 2 and result.output.count("\n") == 1, result.output
    assert result.output.startswith("clv: error: ") and expected in result.output
    assert not out.exists()


def test_covariate_options_go_together(business, tmp_path):
    out = tmp_path / "never"
    result = _report(business, out, business["cov"])
    assert result.exit_code == 2 and "--purchase-covariates" in result.output
    result = _report(business, out, business["cov"], "--purchase-covariates", "regio")
    assert result.exit_code == 2 and "column 'regio'" in result.output
    result = CliRunner().invoke(main, ["report", "-t", str(business["tx"]), "-a", str(business["acq"]), "--out", str(out),
                                       "--purchase-covariates", "region"])
    assert result.exit_code == 2 and "--covariates" in result.output
    assert not out.exists()


@pytest.fixture(scope="module")
def demo_slice(tmp_path_factory) -> dict[str, Path]:
    """Every 30th customer of the demo data (data/demo: 1,000 customers in six channels) with a region and the first order value."""
    src = Path(__file__).resolve().parents[2] / "data" / "demo"
    d = tmp_path_factory.mktemp("demo_bayes")
    tx = pd.read_csv(src / "transactions.csv")
    acq = pd.read_csv(src / "acquisitions.csv")
    tx, acq = tx[tx["customer_id"] % 30 == 0], acq[acq["customer_id"] % 30 == 0]
    tx.to_csv(d / "tx.csv", index=False)
    acq.to_csv(d / "acq.csv", index=False)
    (d / "spend.csv").write_bytes((src / "channel_spend.csv").read_bytes())
    first = tx.sort_values(["customer_id", "date"]).drop_duplicates("customer_id")
    region = REGIONS[(first["customer_id"] // 30 % 4).to_numpy()]  # every level in every channel
    pd.DataFrame({"customer_id": first["customer_id"], "region": region, "first_order_value": first["amount"]}).to_csv(d / "cov.csv", index=False)
    return {"tx": d / "tx.csv", "acq": d / "acq.csv", "spend": d / "spend.csv", "cov": d / "cov.csv"}


@pytest.mark.slow
def test_bayes_report_with_covariates_has_posterior_coefficients(demo_slice, tmp_path):
    out = tmp_path / "bayes"
    args = ["report", "-t", str(demo_slice["tx"]), "-a", str(demo_slice["acq"]), "-s", str(demo_slice["spend"]), "--out", str(out), "-q",
            "--model", "bayes", "--chains", "2", "--bayes-draws", "60", "--n-draws", "20", "--covariates", str(demo_slice["cov"]),
            "--purchase-covariates", "region,first_order_value", "--dropout-covariates", "region", "--spend-covariates", "first_order_value"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    effects = pd.read_csv(out / "covariate_effects.csv").set_index("coefficient")
    assert set(effects["group"]) == {"all customers"}  # the coefficients are shared by the channels: one table
    assert {"purchase:region=north", "purchase:first_order_value", "dropout:region=west", "spend:first_order_value"} <= set(effects.index)
    assert (effects["lower"] < effects["estimate"]).all() and (effects["estimate"] < effects["upper"]).all()  # posterior intervals
    assert (effects["std_err"] > 0).all() and effects["meaning"].str.contains("90% interval").all()
    summary = json.loads((out / "summary.json").read_text())["sections"]["covariates"]
    assert summary["computed"] and len(summary["typical_profiles"]) == 7  # all customers and each of the six channels
    assert "## Customer covariates" in (out / "summary.md").read_text()
    channels = pd.read_csv(out / "channels.csv")
    channels = channels[channels["channel"].isin(pd.read_csv(demo_slice["acq"])["channel"])]  # not the unattributed customers' row
    assert len(channels) == 6 and np.isfinite(channels["ltv_new"]).all()  # new customers at each channel's typical profile
    customers = pd.read_csv(out / "customers.csv")
    assert customers["clv"].notna().all()  # existing customers valued with their own covariates

"""The budgeting example script (examples/budget_plan.py) and the demo business it runs on."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import clv

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "examples" / "budget_plan.py"
DEMO = ROOT / "data" / "demo"


@pytest.fixture(scope="module")
def script():
    spec = importlib.util.spec_from_file_location("budget_plan", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def small_business(tmp_path_factory):
    """A two-channel simulated shop written as the CSV files a user would have."""
    folder = tmp_path_factory.mktemp("shop")
    sim = clv.simulate(
        1500, seed=3, start="2024-01-01", end="2025-06-30",
        channels={"search": {"share": 0.6, "params": {"r": 0.6, "alpha": 5.0, "a": 0.6, "b": 3.0}},
                  "social": {"share": 0.4, "params": {"r": 0.2, "alpha": 8.0, "a": 1.2, "b": 1.8}}},
    )
    tx = sim.transactions.assign(date=sim.transactions["date"].dt.strftime("%Y-%m-%d"))
    tx.to_csv(folder / "tx.csv", index=False)
    acq = sim.acquisitions.assign(acquired_at=sim.acquisitions["acquired_at"].dt.strftime("%Y-%m-%d"))
    acq.to_csv(folder / "acq.csv", index=False)
    pd.DataFrame({"channel": ["search", "social"], "period": ["2024-01", "2024-01"], "spend": [900.0 * 30, 600.0 * 40]}).to_csv(
        folder / "spend.csv", index=False
    )
    return folder


def test_script_prints_value_per_channel(script, small_business, capsys):
    plan = small_business / "plan.csv"
    plan.write_text("channel,spend,cac\nsearch,30000,30\nsocial,20000,\n")
    code = script.main([str(plan), "--transactions", str(small_business / "tx.csv"), "--acquisitions",
                        str(small_business / "acq.csv"), "--channel-spend", str(small_business / "spend.csv"), "--seed", "4"])
    out = capsys.readouterr().out
    assert code == 0
    assert "Expected value bought by the spend plan" in out
    lines = {line.split()[0]: line for line in out.splitlines() if line.startswith(("search", "social"))}
    assert set(lines) == {"search", "social"}
    assert "1,000" in lines["search"]  # 30,000 / 30 customers
    assert "500" in lines["social"]  # 20,000 at the historical CAC of 24,000 / 600 = 40
    assert out.strip().splitlines()[-1].startswith("Total: spend 50,000 buys 1,500 customers")


def test_value_of_plan_arithmetic(script, small_business):
    models = script.fit_channels(small_business / "tx.csv", small_business / "acq.csv")
    plan = pd.DataFrame({"channel": ["social", "search"], "spend": [1000.0, 4000.0], "cac": [50.0, 20.0]})
    table = script.value_of_plan(plan, models, horizon=52, discount_rate=0.1, margin=0.3, target_ratio=2, seed=1)
    ltv = clv.new_customer_value(models, None, horizon=52, discount_rate=0.1, margin=0.3)["ltv"]
    assert list(table.index) == ["social", "search"]
    np.testing.assert_allclose(table["customers"], [20.0, 200.0])
    np.testing.assert_allclose(table["ltv"], ltv.loc[["social", "search"]])
    np.testing.assert_allclose(table["value"], table["customers"] * table["ltv"])
    np.testing.assert_allclose(table["ltv_to_cac"], table["ltv"] / table["cac"])
    np.testing.assert_allclose(table["max_cac"], table["ltv"] / 2)
    assert (table["value_lower"] < table["value"]).all() and (table["value"] < table["value_upper"]).all()
    assert list(table["meets_target"]) == list(table["cac"] <= table["ltv"] / 2)


@pytest.mark.parametrize(
    ("plan_text", "message"),
    [
        ("channel,budget\nsearch,10\n", "column 'spend': missing from the spend plan table"),
        ("channel,spend\nsearch,ten\n", "column 'spend': not a number"),
        ("channel,spend,cac\nsearch,10,-5\n", "column 'cac': negative value"),
        ("channel,spend,cac\nsearch,10,5\nsearch,20,5\n", "channel listed twice"),
        ("channel,spend,cac\ntv,10,5\n", "no acquisition history for channel 'tv'"),
        ("channel,spend,cac\nsearch,10,\n", "column 'cac': no CAC for channel 'search'"),
        ("channel,spend,cac\nsearch,10,0\n", "has spend but a CAC of 0"),
    ],
)
def test_script_bad_plan_exits_2_with_one_line(script, small_business, tmp_path, capsys, plan_text, message):
    plan = tmp_path / "plan.csv"
    plan.write_text(plan_text)
    files = ["--transactions", str(small_business / "tx.csv"), "--acquisitions", str(small_business / "acq.csv")]
    code = script.main([str(plan), *files])
    err = capsys.readouterr().err
    assert code == 2
    assert message in err
    assert len(err.strip().splitlines()) == 1


def test_script_on_demo_business_ranks_channels_like_the_truth(script, capsys):
    code = script.main([str(ROOT / "examples" / "spend_plan.csv"), "--channel-spend", str(DEMO / "channel_spend.csv")])
    out = capsys.readouterr().out
    assert code == 0
    for channel in ("paid search", "paid social", "affiliate", "email", "referral", "organic"):
        assert channel in out


def test_new_customer_value_reproduces_demo_truth():
    """At the true parameters, new_customer_value equals the demo generator's own truth (truth.json)."""
    truth = json.loads((DEMO / "truth.json").read_text())
    rfm = clv.rfm_summary(clv.datasets.load_cdnow(), observation_end="1997-09-30")
    bg, gg = clv.BetaGeo().fit(rfm), clv.GammaGamma().fit(rfm)
    models = {name: bg.with_params([c["r"], c["alpha"], c["a"], c["b"]]) for name, c in truth["channels"].items()}
    spend = {name: gg.with_params([c["p"], c["q"], c["v"]]) for name, c in truth["channels"].items()}
    for horizon, key in ((52, "ltv_new_52w"), (104, "ltv_new_104w")):
        table = clv.new_customer_value(models, spend, horizon=horizon, discount_rate=truth["discount_rate"],
                                       margin=truth["margin"])
        for name, c in truth["channels"].items():
            assert table.loc[name, "ltv"] == pytest.approx(c[key], rel=1e-10)

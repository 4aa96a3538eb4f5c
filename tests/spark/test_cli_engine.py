"""`clv report --engine spark` writes the same channel table as the pandas engine."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import clv
from clv.cli import main

pytestmark = pytest.mark.spark


def test_report_engine_spark_matches_pandas(spark, tmp_path):
    sim = clv.simulate(900, seed=11, start="2024-01-01", end="2025-06-30", channels={
        "search": {"share": 0.6}, "referral": {"share": 0.4, "params": {"r": 0.8, "alpha": 8.0, "a": 0.6, "b": 4.0}}})
    tx = sim.transactions.assign(date=sim.transactions["date"].astype("datetime64[us]"))
    tx.to_parquet(tmp_path / "tx.parquet", index=False)
    sim.acquisitions.to_csv(tmp_path / "acq.csv", index=False)
    common = ["-t", str(tmp_path / "tx.parquet"), "-a", str(tmp_path / "acq.csv"), "--n-draws", "8", "--horizon", "26", "-q"]
    pandas_run = CliRunner().invoke(main, ["report", *common, "--out", str(tmp_path / "pandas")], catch_exceptions=False)
    spark_run = CliRunner().invoke(main, ["report", *common, "--out", str(tmp_path / "spark"), "--engine", "spark",
                                          "--spark-master", "local[2]"], catch_exceptions=False)
    assert pandas_run.exit_code == 0, pandas_run.output
    assert spark_run.exit_code == 0, spark_run.output
    a = pd.read_csv(tmp_path / "pandas" / "channels.csv").set_index("channel")
    b = pd.read_csv(tmp_path / "spark" / "channels.csv").set_index("channel")
    for col in ("customers", "ltv_realized", "ltv_expected", "p_alive"):
        np.testing.assert_allclose(b.loc[a.index, col], a[col], rtol=1e-9)
    assert json.loads((tmp_path / "spark" / "summary.json").read_text())["channels"]


def test_engine_spark_refuses_bayes(tmp_path):
    sim = clv.simulate(50, seed=1)
    sim.transactions.to_csv(tmp_path / "tx.csv", index=False)
    sim.acquisitions.to_csv(tmp_path / "acq.csv", index=False)
    result = CliRunner().invoke(main, ["report", "-t", str(tmp_path / "tx.csv"), "-a", str(tmp_path / "acq.csv"),
                                       "--out", str(tmp_path / "r"), "--engine", "spark", "--model", "bayes", "-q"])
    assert result.exit_code == 2
    assert "--engine spark supports --model mle only" in result.output

"""Purchase-only logs (no amount column) under DuckDB: the pandas behaviour, to the byte.

The pandas path leaves ``monetary_value`` and ``non_positive_rows`` out, fits the purchase model only,
says so on stderr, and ``clv score`` writes the purchase forecast.
"""

from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner

import clv
import clv.duckdb
from clv.cli import main
from clv.datasets import data_path

pytest.importorskip("duckdb")


@pytest.fixture(scope="module")
def log() -> pd.DataFrame:
    return pd.read_csv(data_path("cdnow_sample.csv"))[["customer_id", "date"]]


def test_summary_and_split_equal_pandas(log):
    tx = clv.read_transactions(log, amount=None)
    want = clv.rfm_summary(tx, observation_end="1997-09-30")
    got = clv.duckdb.rfm_summary(log, observation_end="1997-09-30", amount=None)
    frame = got.to_pandas()
    assert frame.equals(want) and frame.attrs == want.attrs
    assert "monetary_value" not in frame and "non_positive_rows" not in got.exclusions
    want = clv.calibration_holdout(tx, calibration_end="1997-06-30", observation_end="1997-09-30")
    got = clv.duckdb.calibration_holdout(log, calibration_end="1997-06-30", observation_end="1997-09-30", amount=None)
    assert got.to_pandas().equals(want) and got.to_pandas().attrs == want.attrs


def test_cli_fit_and_score_match_pandas(log, tmp_path):
    path = tmp_path / "purchases.csv"
    log.to_csv(path, index=False)
    common = ["-t", str(path), "--observation-end", "1997-09-30", "-q"]
    runs = {}
    for engine in ("pandas", "duckdb"):
        fit = CliRunner().invoke(main, ["fit", *common, "--json", "--engine", engine], catch_exceptions=False)
        score = CliRunner().invoke(main, ["score", *common, "-o", str(tmp_path / f"{engine}.csv"), "--engine", engine],
                                   catch_exceptions=False)
        assert fit.exit_code == 0 and score.exit_code == 0, (fit.output, score.output)
        assert "no spend model" in score.output
        runs[engine] = (fit.output, (tmp_path / f"{engine}.csv").read_bytes())
    assert runs["pandas"] == runs["duckdb"]
    assert b"monetary_value" not in runs["duckdb"][1] and b"expected_purchases" in runs["duckdb"][1]

"""Retention by cohort and the backtest under ``--engine duckdb``: the pandas numbers on the demo, or a note saying why not.

The DuckDB report reads the log back (:func:`clv.duckdb.collect_transactions`) for these two sections when it has at most
``MAX_COLLECTED_ROWS`` rows; the frame equals :func:`clv.read_transactions`' and the DuckDB fits are bit-identical to
pandas' (test_engine_parity.py), so the tables are the same to the byte.
"""

from __future__ import annotations

import pytest

import clv
import clv.duckdb
from clv.datasets import data_path
from clv.operations import operations_extra
from clv.reports.operations_sections import BacktestSection, RetentionSection
from clv.reports.sections import ReportContext

pytest.importorskip("duckdb")

END = "2025-12-31"


def test_demo_retention_and_backtest_equal_pandas():
    path = data_path("demo/transactions.csv")
    acq = clv.read_acquisitions(data_path("demo/acquisitions.csv"))
    tx = clv.read_transactions(path)
    collected = clv.duckdb.collect_transactions(path)
    assert collected.equals(tx)
    pandas_models = clv.fit_channel_models(clv.rfm_summary(tx, observation_end=END), acq)
    duck_models = clv.duckdb.fit_channel_models(clv.duckdb.rfm_summary(path, observation_end=END), acq)
    want = operations_extra(tx, acq, pandas_models.point_transaction_models(seed=1), observation_end=END)
    got = operations_extra(collected, acq, duck_models.point_transaction_models(seed=1), observation_end=END)
    assert got["retention"].table.equals(want["retention"].table)
    assert got["retention"].exclusions == want["retention"].exclusions
    for name in ("by_channel", "deciles"):
        assert getattr(got["backtest"], name).equals(getattr(want["backtest"], name)), name
    assert got["backtest"].settings == want["backtest"].settings


def test_large_logs_stay_in_the_engine_and_the_report_says_why():
    assert clv.duckdb.collect_transactions(data_path("cdnow_sample.csv"), max_rows=1000) is None
    note = "not computed with --engine duckdb for a log of more than 5,000,000 rows: ..."
    ctx = ReportContext(channels=None, extra={"retention": None, "retention_note": note, "backtest": None, "backtest_note": note})
    assert note in RetentionSection().html(ctx).replace("&#x27;", "'") and note in RetentionSection().markdown(ctx)
    assert RetentionSection().summary(ctx) == {"computed": False, "note": note}
    assert "Backtest skipped: " + note in BacktestSection().markdown(ctx)


@pytest.mark.slow
def test_small_duckdb_report_has_the_pandas_sections(tmp_path):
    """End to end: a DuckDB report of a small log writes retention, backtest and watchlist files equal to pandas'."""
    sim = clv.simulate(1500, seed=4, start="2024-01-01", end="2025-06-30",
                       channels={"email": {"share": 0.6}, "search": {"share": 0.4}})
    sim.transactions.to_csv(tmp_path / "tx.csv", index=False)
    sim.acquisitions.to_csv(tmp_path / "acq.csv", index=False)
    files = ("retention.csv", "backtest_channels.csv", "backtest_deciles.csv", "backtest_tracking.csv", "watchlist.csv",
             "lifecycle_mix.csv", "customers.csv")
    outputs = {}
    for engine in ("pandas", "duckdb"):
        out = clv.run_report({"transactions": str(tmp_path / "tx.csv"), "acquisitions": str(tmp_path / "acq.csv"),
                              "out": str(tmp_path / engine), "n_draws": 0, "engine": engine})
        outputs[engine] = {name: (out / name).read_bytes() for name in files}
    for name in files:
        assert outputs["duckdb"][name] == outputs["pandas"][name], name

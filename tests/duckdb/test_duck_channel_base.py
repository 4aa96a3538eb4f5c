"""The channel report's customer base in DuckDB (:class:`clv.duckdb.channel_base.DuckBase`) against the pandas base.

Counts are exact and every per-customer figure is the same arithmetic, so the per-customer table and the sampled rows
are equal to the bit; sums are DuckDB's (another order of addition), so sums and the figures made from them are
compared to rtol 1e-12. The data: the demo, and a 1,500-customer simulation with every reconciliation case (customers
without an acquisition record, acquisitions after the observation end and without transactions, acquisitions after the
first purchase, own costs beside channel spend, a channel with spend only, a channel without any cost).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import clv
import clv.duckdb
from clv.channels.base import FrameBase
from clv.datasets import data_path
from clv.duckdb.channel_base import DuckBase

pytest.importorskip("duckdb")

SETTINGS = {"horizon": 52.0, "discount_rate": 0.1, "margin": 0.3, "time_unit": "W"}


def _simulated() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Transactions, acquisitions and spend of a base with every case the reconciliation counts."""
    channels = {"email": {"share": 0.5}, "search": {"share": 0.3, "params": {"r": 0.2, "alpha": 6.0, "a": 0.9, "b": 2.0}},
                "tv": {"share": 0.2}}
    sim = clv.simulate(1500, seed=5, start="2024-01-01", end="2025-01-01", channels=channels)
    acq = sim.acquisitions.iloc[:-50].copy()  # 50 scored customers without an acquisition record
    acq["cost"] = np.where(np.arange(len(acq)) % 7 == 0, 12.5, np.nan)  # own costs beside the spend
    acq.loc[acq["channel"] == "tv", "cost"] = np.nan  # a channel without any cost
    acq.loc[acq.index[::97], "acquired_at"] = pd.Timestamp("2025-03-01")  # after the observation end: left out, counted
    acq.loc[acq.index[5::89], "acquired_at"] += pd.Timedelta(days=20)  # after the first purchase: kept, counted
    ghosts = pd.DataFrame({"customer_id": np.arange(10**6, 10**6 + 30), "channel": "search",
                           "acquired_at": pd.Timestamp("2024-05-03"), "cost": np.nan})  # acquisitions without transactions
    acq = pd.concat([acq, ghosts], ignore_index=True)
    spend = pd.DataFrame({"channel": ["email", "search", "radio", "email"], "spend": [6000.0, 8000.0, 500.0, 100.0],
                          "period": ["2024-01-01/2024-07-01", "2024-01-01/2024-07-01", "2024-01-01/2024-03-01",
                                     "2026-01-01/2026-02-01"]})  # radio: spend only; the last row finds no customer
    return sim.transactions, acq, spend


def _bases(tx: pd.DataFrame, acq_frame: pd.DataFrame, spend: pd.DataFrame | None, end: str, *, in_engine: bool):
    con = clv.duckdb.connect(threads=2)
    acq = clv.read_acquisitions(acq_frame)
    given = clv.duckdb.read_acquisitions(acq_frame, con=con) if in_engine else acq
    inputs = clv.duckdb.report_inputs(tx, given, con=con, observation_end=end, chunk_size=500, **{**SETTINGS, "horizon": 52.0})
    sp = None if spend is None else clv.read_channel_spend(spend)
    duck = DuckBase(con, inputs.scores_table, inputs.duck_rfm, given, sp, margin=0.3)
    frame = FrameBase(inputs.scores, acq, sp, None, inputs.rfm, pd.Timestamp(end), 0.3)
    return inputs, acq, sp, duck, frame


def _same_recon(got: dict, want: dict) -> None:
    assert list(got) == list(want)
    for key, value in want.items():
        if key == "value_totals":
            pd.testing.assert_frame_equal(pd.DataFrame(got[key]), pd.DataFrame(value), check_exact=False, rtol=1e-12, atol=0)
        elif isinstance(value, float):
            assert got[key] == pytest.approx(value, rel=1e-12, abs=1e-9), key
        elif isinstance(value, dict):
            assert got[key] == pytest.approx(value, rel=1e-12), key
        else:
            assert got[key] == value, key


def _same_base(duck: DuckBase, frame: FrameBase) -> None:
    assert duck.names == frame.names and duck.channels == frame.channels and duck.unallocated == frame.unallocated
    _same_recon(duck.recon, frame.recon)
    pd.testing.assert_frame_equal(duck.channel_sums(), frame.channel_sums(), check_exact=False, rtol=1e-12, atol=0)
    pd.testing.assert_frame_equal(duck.cohort_sums(), frame.cohort_sums(), check_exact=False, rtol=1e-12, atol=0)
    got = clv.duckdb.DuckRows(duck.con, duck.customers()).to_pandas()
    want = frame.customers()
    assert list(got.columns) == list(want.columns) and got.index.tolist() == want.index.tolist()
    for column in want.columns:  # the same values to the bit (dtypes differ: DuckDB's booleans and timestamps)
        a, b = got[column].astype(object), want[column].astype(object)
        assert ((a == b) | (a.isna() & b.isna())).all(), column
    for name in frame.channels:
        for sample in (40, 10**6):
            a, b = duck.sim_rows(name, sample, 7), frame.sim_rows(name, sample, 7)
            pd.testing.assert_frame_equal(a.rows, b.rows, check_exact=True)
            assert (a.picked_score, a.size) == (b.picked_score, b.size)
            assert (a.total_score is None) == (b.total_score is None)
            if b.total_score is not None:
                assert a.total_score == pytest.approx(b.total_score, rel=1e-12)
    r1, r2 = np.random.default_rng(3), np.random.default_rng(3)  # one generator across the channels, as the report's
    for name in frame.names:
        a, b = duck.draw_rows(name, r1, 25), frame.draw_rows(name, r2, 25)
        assert a[1:] == b[1:]
        assert (a[0] is None) == (b[0] is None)
        if b[0] is not None:
            pd.testing.assert_frame_equal(a[0], b[0], check_exact=True)


def test_demo_base_in_duckdb_equals_the_pandas_base():
    spend = pd.read_csv(data_path("demo/channel_spend.csv"))
    tx = clv.read_transactions(data_path("demo/transactions.csv"))
    _, _, _, duck, frame = _bases(tx, pd.read_csv(data_path("demo/acquisitions.csv")), spend, "2025-12-31", in_engine=True)
    assert frame.recon["customers_without_acquisition"] > 0
    _same_base(duck, frame)


@pytest.mark.parametrize("in_engine", [True, False])
def test_simulated_base_and_report_in_duckdb_equal_pandas(in_engine):
    tx, acq_frame, spend = _simulated()
    inputs, acq, sp, duck, frame = _bases(tx, acq_frame, spend, "2024-10-31", in_engine=in_engine)
    recon = frame.recon
    assert recon["acquisitions_after_observation_end"] > 0 and recon["acquisitions_without_transactions"] == 30
    assert recon["customers_without_acquisition"] > 0 and recon["acquired_after_first_purchase"] > 0
    assert recon["spend_replaced_by_own_cost_total"] > 0 and recon["customers_without_cost_by_channel"]["tv"] > 0
    assert recon["channels_with_spend_but_no_customers"] == ["radio"]
    _same_base(duck, frame)
    kw = {"spend": sp, **SETTINGS, "n_draws": 30, "seed": 2, "draw_sample": 120, "n_sims": 60}
    want = clv.channel_report(inputs.scores, acq, rfm=inputs.rfm, models=inputs.models, **kw)
    got = clv.duckdb.channel_report(inputs, **kw)
    for part in ("table", "cohorts", "ltv_draws", "payback_curves"):
        pd.testing.assert_frame_equal(getattr(got, part), getattr(want, part), check_exact=False, rtol=1e-12, atol=0)
    _same_recon(got.reconciliation, want.reconciliation)
    assert got.settings == want.settings
    assert len(got.customers) == len(want.customers)


def test_report_on_duckdb_reads_non_iso_acquisition_dates_with_the_pandas_reader(tmp_path):
    """The DuckDB reader takes typed or ISO dates; other text dates fall back to the pandas reader, as before session 7."""
    sim = clv.simulate(300, seed=4, start="2024-01-01", end="2025-06-30", channels={"email": {"share": 0.6}, "search": {"share": 0.4}})
    sim.transactions.to_csv(tmp_path / "tx.csv", index=False)
    acq = sim.acquisitions.assign(acquired_at=sim.acquisitions["acquired_at"].dt.strftime("%m/%d/%Y"))
    acq.to_csv(tmp_path / "acq.csv", index=False)
    seen: list[str] = []
    out = clv.run_report({"transactions": str(tmp_path / "tx.csv"), "acquisitions": str(tmp_path / "acq.csv"),
                          "out": str(tmp_path / "r"), "n_draws": 0, "engine": "duckdb", "progress": seen.append})
    assert any("in DuckDB" in line for line in seen)
    assert pd.read_csv(out / "channels.csv")["customers"].sum() == 300

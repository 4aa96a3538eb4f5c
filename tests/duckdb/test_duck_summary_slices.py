"""The DuckDB summary streams customers in slices: any slice size gives the pandas digits and counts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import clv
import clv.duckdb
import clv.duckdb.summary as duck_summary

pytest.importorskip("duckdb")


@pytest.fixture(scope="module")
def log() -> pd.DataFrame:
    """Text ids, same-day repeats, customers first buying in the holdout or after the end, a 300-day heavy buyer."""
    tx = clv.simulate(400, seed=4, start="2024-01-01", end="2024-12-31").transactions
    rng = np.random.default_rng(2)
    heavy = pd.DataFrame({"customer_id": 999_999, "date": pd.Timestamp("2024-01-01") + pd.to_timedelta(np.arange(300), "D"),
                          "amount": rng.gamma(2.0, 17.0, 300).round(2)})
    late = pd.DataFrame({"customer_id": [500_000 + i for i in range(40)],
                         "date": pd.Timestamp("2024-10-01") + pd.to_timedelta(np.arange(40) * 2, "D"), "amount": 7.5})
    tx = pd.concat([tx, tx.sample(80, random_state=1), heavy, late], ignore_index=True)
    return tx.assign(customer_id="c" + tx["customer_id"].astype(str))


@pytest.mark.parametrize("batch", [1, 7, 1000])
def test_any_slice_size_gives_the_pandas_summary(log, batch, monkeypatch):
    monkeypatch.setattr(duck_summary, "_BATCH", batch)
    tx = clv.read_transactions(log)
    cases = [
        (clv.rfm_summary(tx, observation_end="2024-11-30"), dict(observation_end="2024-11-30"), clv.duckdb.rfm_summary),
        (clv.calibration_holdout(tx, calibration_end="2024-09-30", observation_end="2024-11-30"),
         dict(calibration_end="2024-09-30", observation_end="2024-11-30"), clv.duckdb.calibration_holdout),
    ]
    for expected, kwargs, engine in cases:
        got = engine(log, con=clv.duckdb.connect(threads=2), **kwargs)
        frame = got.to_pandas()
        assert frame.index.equals(expected.index) and list(frame.columns) == list(expected.columns)
        for col in expected.columns:
            assert (frame[col].to_numpy() == expected[col].to_numpy()).all(), col
        assert frame.attrs == expected.attrs and got.customers == len(expected)
    assert expected.attrs["exclusions"]["customers_first_purchase_in_holdout"] > 0
    assert expected.attrs["exclusions"]["customers_after_observation_end"] > 0

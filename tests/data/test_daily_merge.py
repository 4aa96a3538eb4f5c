"""The same-day merge behind every summary: one sort of a combined key, bit for bit the plain definition.

The reference is the definition itself: ``np.unique`` on (customer, calendar day) and ``np.bincount``
over the rows in input order (the order the day totals have always been added in).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from clv.data.summary import daily_purchases


def _reference(tx: pd.DataFrame, end_day: int | None = None):
    days = tx["date"].to_numpy().astype("datetime64[D]").astype(np.int64)
    keep = np.ones(len(tx), bool) if end_day is None else days <= end_day
    codes, ids = pd.factorize(tx["customer_id"].to_numpy()[keep], sort=True)
    pairs, inverse = np.unique(np.c_[codes, days[keep]], axis=0, return_inverse=True)
    amount = tx["amount"].to_numpy(dtype=float)[keep] if "amount" in tx else np.zeros(keep.sum())
    totals = np.bincount(inverse.ravel(), weights=amount, minlength=len(pairs))
    return ids, pairs[:, 0], pairs[:, 1], totals, int((~keep).sum())


def _log(rng: np.random.Generator, n: int, ids: str, unit: str) -> pd.DataFrame:
    raw = rng.integers(0, 300, n)
    customer = {"small": raw, "wide": raw * 10**13 - 5, "int32": (raw - 150).astype(np.int32),
                "text": np.array([f"c{v:03d}" for v in raw], dtype=object)}[ids]
    seconds = rng.integers(-40 * 86_400, 40 * 86_400, n)  # both sides of 1970: the day is the floor
    date = (np.datetime64("1970-01-01T00:00:00") + seconds.astype("timedelta64[s]")).astype(f"datetime64[{unit}]")
    return pd.DataFrame({"customer_id": customer, "date": date, "amount": rng.normal(20.0, 15.0, n) / 3.0})


@pytest.mark.parametrize("ids", ["small", "wide", "int32", "text"])
@pytest.mark.parametrize("unit", ["ns", "us", "s"])
def test_merge_matches_the_definition_bit_for_bit(ids, unit):
    rng = np.random.default_rng(len(ids) * 10 + len(unit))
    tx = _log(rng, 4000, ids, unit)
    for frame, end in ((tx, None), (tx, 10), (tx.sort_values(["customer_id", "date"], kind="stable"), None), (tx.drop(columns="amount"), -3)):
        got = daily_purchases(frame, end)
        want_ids, code, day, totals, after = _reference(frame, end)
        assert np.array_equal(got.ids.to_numpy(), want_ids) and got.ids.dtype == frame["customer_id"].dtype
        assert np.array_equal(got.code, code) and np.array_equal(got.day, day)
        assert got.amount.tobytes() == totals.tobytes()  # same bits, not only close
        assert got.rows_after_end == after


def test_rows_all_after_the_end_leave_an_empty_merge():
    tx = _log(np.random.default_rng(3), 50, "small", "ns")
    got = daily_purchases(tx, -10_000)
    assert len(got.ids) == 0 and got.code.size == 0 and got.rows_after_end == 50

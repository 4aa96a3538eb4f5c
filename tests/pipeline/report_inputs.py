"""Hypothesis strategies for the report harness: transaction logs and acquisition tables of every shape."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from hypothesis import strategies as st

BASE = pd.Timestamp("2024-01-01")
AWKWARD_NAMES = ["<script>alert('x')</script>", "Ünïcødé ✓ 広告", "a,b \"quoted\"", "&amp; <b>bold</b>", "tab\there",
                 "paid search", "😀 emoji", "x" * 200, "=SUM(A1)", "line\nbreak"]


@dataclass
class Case:
    """One drawn input: the three tables as frames, and the command-line options."""

    transactions: pd.DataFrame
    acquisitions: pd.DataFrame
    spend: pd.DataFrame | None
    options: list[str] = field(default_factory=list)

    def describe(self) -> str:
        return (f"{self.transactions['customer_id'].nunique()} customers, {len(self.transactions)} rows, "
                f"{self.acquisitions['channel'].nunique()} channels, spend={'yes' if self.spend is not None else 'no'}, "
                f"options={self.options}")


def _amounts(draw: st.DrawFn, n: int, rng: np.random.Generator) -> np.ndarray:
    kind = draw(st.sampled_from(["gamma", "identical", "with_zero", "with_negative", "huge", "tiny", "iid_gamma"]))
    if kind == "identical":
        return np.full(n, draw(st.sampled_from([25.0, 0.01, 1e9])))
    values = rng.gamma(2.0, 20.0, size=n) * rng.gamma(3.0, 1 / 3, size=1)
    if kind == "iid_gamma":
        values = rng.gamma(6.0, 35 / 6, size=n)
    if kind == "with_zero":
        values[rng.random(n) < 0.3] = 0.0
    if kind == "with_negative":
        values[rng.random(n) < 0.2] *= -1
    if kind == "huge":
        values[rng.random(n) < 0.5] = 1e9
    if kind == "tiny":
        values = values * 1e-6
    return np.round(values, 2)


@st.composite
def transactions(draw: st.DrawFn) -> tuple[pd.DataFrame, np.random.Generator]:
    """A log of ``customer_id, date, amount``: 1 customer to a few hundred, any purchase pattern."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    n = draw(st.sampled_from([1, 2, 3, draw(st.integers(4, 40)), draw(st.integers(100, 260))]))
    pattern = draw(st.sampled_from(["mixed", "one_time", "one_day", "regular", "heavy"]))
    first = rng.integers(0, 400, size=n)
    if pattern == "one_time":
        counts = np.ones(n, dtype=int)
    elif pattern == "heavy":
        counts = rng.integers(1, 80, size=n)
    else:
        counts = 1 + rng.poisson(rng.gamma(0.8, 2.5, size=n))
    ids = np.repeat(np.arange(1, n + 1), counts)
    if pattern == "one_day":
        days = np.full(len(ids), 100)
    elif pattern == "regular":
        days = np.repeat(first, counts) + 30 * np.concatenate([np.arange(c) for c in counts])
    else:
        gaps = np.concatenate([np.concatenate([[0], rng.integers(1, 60, size=c - 1)]) for c in counts])
        starts = np.repeat(first, counts)
        days = starts + np.concatenate([np.cumsum(g) for g in np.split(gaps, np.cumsum(counts)[:-1])])
    tx = pd.DataFrame({"customer_id": ids, "date": (BASE + pd.to_timedelta(days, unit="D")).strftime("%Y-%m-%d"),
                       "amount": _amounts(draw, len(ids), rng)})
    if draw(st.booleans()):  # duplicate rows
        tx = pd.concat([tx, tx.sample(frac=0.3, random_state=int(rng.integers(1e9)), replace=True)], ignore_index=True)
    return tx, rng


@st.composite
def cases(draw: st.DrawFn) -> Case:
    """Transactions, acquisitions, an optional spend table and the report options."""
    tx, rng = draw(transactions())
    customers = np.sort(tx["customer_id"].unique())
    n_channels = draw(st.sampled_from([1, 2, 5, 300]))
    names = draw(st.lists(st.one_of(st.sampled_from(AWKWARD_NAMES), st.text(min_size=1, max_size=12)),
                          min_size=n_channels, max_size=n_channels, unique_by=lambda s: s.strip()))
    extra = draw(st.sampled_from([0, 5]))  # acquired customers without any transaction
    acquired = np.concatenate([customers, customers.max() + 1 + np.arange(extra)])
    if n_channels == 300 and len(acquired) < 300:
        acquired = np.concatenate([acquired, acquired.max() + 1 + np.arange(300 - len(acquired))])
    channel = np.array(names, dtype=object)[np.arange(len(acquired)) % n_channels]
    first = pd.to_datetime(tx.groupby("customer_id")["date"].min()).reindex(acquired)
    shift = draw(st.sampled_from(["same", "before", "after", "random"]))
    offset = {"same": 0, "before": -3, "after": 5}.get(shift)
    offsets = rng.integers(-30, 30, size=len(acquired)) if offset is None else np.full(len(acquired), offset)
    acquired_at = first.fillna(BASE + pd.Timedelta(days=200)) + pd.to_timedelta(offsets, unit="D")
    acq = pd.DataFrame({"customer_id": acquired, "channel": channel, "acquired_at": acquired_at.dt.strftime("%Y-%m-%d").to_numpy()})
    if draw(st.booleans()):
        acq["cost"] = np.where(rng.random(len(acq)) < 0.3, np.nan, np.round(rng.gamma(2.0, 10.0, size=len(acq)), 2))
    spend = None
    if draw(st.booleans()):
        months = pd.period_range("2024-01", "2025-03", freq="M").astype(str)
        rows = [(c, m, float(draw(st.sampled_from([0.0, 100.0, 1e9])) if i == 0 else 250.0))
                for i, c in enumerate(names[:20]) for m in months[:3]]
        spend = pd.DataFrame(rows, columns=["channel", "period", "spend"])
    last = pd.to_datetime(tx["date"]).max()
    end = draw(st.sampled_from(["default", "before", "at", "after", "before_all"]))
    options = []
    if end != "default":
        when = {"before": last - pd.Timedelta(days=40), "at": last, "after": last + pd.Timedelta(days=90),
                "before_all": BASE - pd.Timedelta(days=10)}[end]
        options += ["--observation-end", when.strftime("%Y-%m-%d")]
    options += ["--time-unit", draw(st.sampled_from(["W", "D", "M"])), "--transaction-model",
                draw(st.sampled_from(["bgnbd", "bgnbd", "mbgnbd", "paretonbd"]))]
    return Case(tx, acq, spend, options)

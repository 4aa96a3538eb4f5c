"""Generate the bundled demo business: an online shop with six acquisition channels.

Run from the repository root (the output is committed; re-running with the
same seed rewrites identical files)::

    .venv/bin/python data/demo/make_demo.py

What it builds, with :func:`clv.simulate` (BG/NBD purchasing, Gamma-Gamma
spend, weekly rates):

* 30,000 customers acquired uniformly from 2024-01-01 to 2025-09-30, observed
  to 2025-12-31 (two years of transactions);
* six channels whose true behaviour and acquisition cost differ. Paid search,
  email and referral are built to pay back (true 52-week new-customer margin
  above their CAC); paid social and affiliate are built not to (their
  two-year margin stays well below CAC); organic costs nothing;
* ``channel_spend.csv``: spend per channel and month, the true CAC times the
  customers acquired that month with +-10% noise (organic rows are zero),
  plus two months of a podcast test that brought no tracked customers;
* 150 customers (0.5%) left out of ``acquisitions.csv``: bought before
  attribution tracking started. Both oddities show up in the report's
  reconciliation section;
* ``truth.json``: the true parameters, mean spend, CAC, the true 52-week
  new-customer value and payback per channel, for tests.

Files: ``transactions.csv`` (customer_id, date, amount), ``acquisitions.csv``
(customer_id, channel, acquired_at), ``channel_spend.csv`` (channel, period,
spend), ``truth.json``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

import clv
from clv.kernels import bgnbd

SEED = 20240101
N_CUSTOMERS = 30_000
START, ACQUISITION_END, END = "2024-01-01", "2025-09-30", "2025-12-31"
MARGIN, DISCOUNT_RATE, HORIZON = 0.3, 0.1, 52  # the report settings the truth is computed for
UNATTRIBUTED = 150

# share of customers, BG/NBD (per week) and Gamma-Gamma parameters, CAC in currency units
CHANNELS: dict[str, dict] = {
    "paid search": {"share": 0.30, "params": {"r": 0.5, "alpha": 8.0, "a": 0.8, "b": 3.0},
                    "spend_params": {"p": 6.0, "q": 4.0, "v": 30.0}, "cac": 38.0},
    "paid social": {"share": 0.20, "params": {"r": 0.3, "alpha": 10.0, "a": 1.2, "b": 1.8},
                    "spend_params": {"p": 5.0, "q": 4.0, "v": 25.0}, "cac": 45.0},
    "affiliate": {"share": 0.10, "params": {"r": 0.3, "alpha": 9.0, "a": 1.5, "b": 2.0},
                  "spend_params": {"p": 5.0, "q": 4.0, "v": 30.0}, "cac": 50.0},
    "email": {"share": 0.10, "params": {"r": 0.8, "alpha": 8.0, "a": 0.6, "b": 4.0},
              "spend_params": {"p": 6.0, "q": 4.0, "v": 25.0}, "cac": 12.0},
    "referral": {"share": 0.08, "params": {"r": 0.7, "alpha": 7.0, "a": 0.5, "b": 4.5},
                 "spend_params": {"p": 6.0, "q": 5.0, "v": 50.0}, "cac": 40.0},
    "organic": {"share": 0.22, "params": {"r": 0.5, "alpha": 7.0, "a": 0.7, "b": 3.0},
                "spend_params": {"p": 6.0, "q": 4.0, "v": 30.0}, "cac": 0.0},
}
UNTRACKED_SPEND = [("podcast", "2025-03", 4000.0), ("podcast", "2025-04", 4000.0)]


def build(seed: int = SEED) -> clv.Simulation:
    """The simulated business (deterministic for a seed)."""
    specs = {name: {k: v for k, v in spec.items() if k != "cac"} for name, spec in CHANNELS.items()}
    return clv.simulate(N_CUSTOMERS, start=START, end=END, acquisition_end=ACQUISITION_END, seed=seed, channels=specs)


def true_new_customer_curve(name: str, weeks: np.ndarray) -> np.ndarray:
    """True cumulative discounted margin of a new customer of ``name`` at ``weeks`` (first purchase at 0)."""
    p = CHANNELS[name]["params"]
    s = CHANNELS[name]["spend_params"]
    mean_spend = s["p"] * s["v"] / (s["q"] - 1)
    cum = bgnbd.expected_purchases_new(weeks, p["r"], p["alpha"], p["a"], p["b"])
    disc = (1 + DISCOUNT_RATE) ** (-weeks * 7 / 365.25)
    return MARGIN * mean_spend * (1 + np.cumsum(np.diff(cum, prepend=0.0) * disc))


def _spend_table(acq: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    month = acq["acquired_at"].dt.to_period("M")
    counts = acq.groupby(["channel", month]).size()
    rows = []
    for (channel, period), n in counts.items():
        cac = CHANNELS[channel]["cac"]
        spend = 0.0 if cac == 0 else round(cac * n * rng.uniform(0.9, 1.1), 2)
        rows.append((channel, str(period), spend))
    rows += UNTRACKED_SPEND
    return pd.DataFrame(rows, columns=["channel", "period", "spend"])


def main(out: Path | None = None) -> None:
    out = Path(out or Path(__file__).resolve().parent)
    sim = build()
    rng = np.random.default_rng(SEED + 1)
    tx = sim.transactions.copy()
    tx["date"] = tx["date"].dt.strftime("%Y-%m-%d")
    tx.to_csv(out / "transactions.csv", index=False)

    acq = sim.acquisitions.copy()
    spend = _spend_table(acq, rng)  # spend follows every customer bought, tracked or not
    hidden = rng.choice(acq["customer_id"].to_numpy(), size=UNATTRIBUTED, replace=False)
    tracked = acq[~acq["customer_id"].isin(hidden)].copy()
    tracked["acquired_at"] = tracked["acquired_at"].dt.strftime("%Y-%m-%d")
    tracked.to_csv(out / "acquisitions.csv", index=False)
    spend.to_csv(out / "channel_spend.csv", index=False)

    weeks = np.arange(1, 4 * HORIZON + 1, dtype=float)
    truth = {"seed": SEED, "n_customers": N_CUSTOMERS, "start": START, "acquisition_end": ACQUISITION_END,
             "observation_end": END, "margin": MARGIN, "discount_rate": DISCOUNT_RATE, "horizon_weeks": HORIZON,
             "unattributed_customers": UNATTRIBUTED, "channels": {}}
    for name, spec in CHANNELS.items():
        s = spec["spend_params"]
        curve = true_new_customer_curve(name, np.r_[0.0, weeks])
        n = int((acq["channel"] == name).sum())
        total = float(spend.loc[spend["channel"] == name, "spend"].sum())
        cac = total / n
        paid = np.flatnonzero(curve >= cac) if cac > 0 else np.array([0])
        truth["channels"][name] = {
            **spec["params"], **s, "share": spec["share"], "customers": n, "spend": round(total, 2),
            "cac": round(cac, 4), "design_cac": spec["cac"], "mean_spend": s["p"] * s["v"] / (s["q"] - 1),
            "ltv_new_52w": float(curve[HORIZON]), "ltv_new_104w": float(curve[2 * HORIZON]),
            "payback_weeks": float(paid[0]) if paid.size else None,
            "pays_back_within_52w": bool(cac > 0 and curve[HORIZON] >= cac),
        }
    (out / "truth.json").write_text(json.dumps(truth, indent=2) + "\n")


if __name__ == "__main__":
    main()

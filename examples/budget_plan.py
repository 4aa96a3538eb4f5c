"""What does next year's acquisition budget buy? A budgeting script built on ``import clv``.

Reads a spend plan (one row per channel: ``channel, spend`` and optionally
``cac``, the expected cost of one acquired customer), fits one BG/NBD and one
Gamma-Gamma model per acquisition channel on the history (``clv.fit_channel_models``), and prints per
channel how many customers the plan buys, what one of them is worth
(discounted margin over the horizon, with a bootstrap interval), the value the
spend buys, and the highest CAC that still meets the target LTV:CAC ratio.

A blank ``cac`` is filled with the channel's historical CAC (spend over
customers acquired), which needs ``--channel-spend``.

Run on the bundled demo business (from the repository root)::

    .venv/bin/python examples/budget_plan.py examples/spend_plan.csv

or on your own data::

    .venv/bin/python examples/budget_plan.py plan.csv --transactions tx.csv \\
        --acquisitions acquisitions.csv --channel-spend spend.csv --margin 0.3

Exit status 0 on success, 2 with a one-line message for bad input.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import clv
from clv.data.validation import describe_row, load_table, parse_numbers, require_columns, require_present


def read_plan(source: Any) -> pd.DataFrame:
    """The spend plan: ``channel, spend`` and optional ``cac`` (NaN where blank)."""
    frame = load_table(source, "spend plan")
    require_columns(frame, {"channel": "channel", "spend": "spend"}, "spend plan")
    require_present(frame, "channel")
    plan = pd.DataFrame({"channel": frame["channel"].astype(str).str.strip(),
                         "spend": parse_numbers(frame, "spend", allow_negative=False).to_numpy()})
    plan["cac"] = np.nan
    if "cac" in frame.columns:
        known = frame["cac"].notna().to_numpy()
        if known.any():
            plan.loc[known, "cac"] = parse_numbers(frame.loc[known], "cac", allow_negative=False).to_numpy()
    dup = plan["channel"].duplicated().to_numpy()
    if dup.any():
        row = describe_row(frame, int(np.argmax(dup)))
        raise clv.DataError(f"column 'channel': channel listed twice in the spend plan; {row}")
    return plan


def fit_channels(transactions: Any, acquisitions: Any, *, observation_end: Any = None) -> clv.ChannelModels:
    """One fitted BetaGeo and GammaGamma per acquisition channel (small channels fall back to the pooled pair)."""
    tx = clv.read_transactions(transactions)
    acq = clv.read_acquisitions(acquisitions)
    rfm = clv.rfm_summary(tx, observation_end=observation_end)
    return clv.fit_channel_models(rfm, acq)


def historical_cac(acquisitions: Any, channel_spend: Any) -> pd.Series:
    """Spend over customers acquired, per channel, over the whole history."""
    acq = clv.read_acquisitions(acquisitions)
    spend = clv.read_channel_spend(channel_spend).groupby("channel")["spend"].sum()
    customers = acq.groupby("channel").size()
    return (spend / customers).dropna()


def value_of_plan(
    plan: pd.DataFrame, models: clv.ChannelModels, *, horizon: float, discount_rate: float, margin: float,
    target_ratio: float, seed: int, history_cac: pd.Series | None = None,
) -> pd.DataFrame:
    """Per channel: customers bought, value per customer (with interval), value bought, ratio and maximum CAC."""
    plan = plan.set_index("channel")
    known = sorted(c for c in models.transaction_models if c != "*")
    unknown = [c for c in plan.index if c not in known]
    if unknown:
        raise clv.DataError(f"column 'channel': no acquisition history for channel {unknown[0]!r}; channels with history: {known}")
    if history_cac is not None:
        plan["cac"] = plan["cac"].fillna(history_cac.reindex(plan.index))
    missing = plan.index[plan["cac"].isna()]
    if len(missing):
        raise clv.DataError(f"column 'cac': no CAC for channel {missing[0]!r}; give one in the plan or pass --channel-spend")
    free = plan.index[(plan["cac"] <= 0) & (plan["spend"] > 0)]
    if len(free):
        raise clv.DataError(f"column 'cac': channel {free[0]!r} has spend but a CAC of 0, so spend cannot buy customers")

    channels = list(plan.index)
    ltv = clv.new_customer_value(models, None, group=channels, horizon=horizon, discount_rate=discount_rate,
                                 margin=margin, interval=0.9, n_draws=200, seed=seed)
    caps = clv.max_cac(models, None, group=channels, target_ratio=target_ratio, horizon=horizon,
                       discount_rate=discount_rate, margin=margin)
    cac = plan["cac"].to_numpy()
    customers = np.divide(plan["spend"].to_numpy(), cac, out=np.zeros(len(plan)), where=cac > 0)
    out = pd.DataFrame(
        {
            "spend": plan["spend"].to_numpy(),
            "cac": cac,
            "customers": customers,
            "ltv": ltv["ltv"].to_numpy(),
            "ltv_lower": ltv["ltv_lower"].to_numpy(),
            "ltv_upper": ltv["ltv_upper"].to_numpy(),
            "value": customers * ltv["ltv"].to_numpy(),
            "value_lower": customers * ltv["ltv_lower"].to_numpy(),
            "value_upper": customers * ltv["ltv_upper"].to_numpy(),
            "max_cac": caps["max_cac"].to_numpy(),
        },
        index=pd.Index(channels, name="channel"),
    )
    econ = clv.channels.unit_economics(out["ltv"], cac, target_ratio=target_ratio)  # the report's definitions
    out["ltv_to_cac"] = econ["ltv_new_to_cac"].to_numpy()
    out["target_ratio"] = target_ratio
    out["meets_target"] = econ["meets_target"].fillna(True).to_numpy(dtype=bool)  # no CAC: nothing to recover
    return out


def format_table(table: pd.DataFrame, *, horizon: float, margin: float, target_ratio: float) -> str:
    """The table as printed, with a total line."""
    shown = table.copy()
    ltv = zip(table["ltv"], table["ltv_lower"], table["ltv_upper"])
    value = zip(table["value"], table["value_lower"], table["value_upper"])
    shown["ltv"] = [f"{v:,.2f} [{lo:,.2f}, {hi:,.2f}]" for v, lo, hi in ltv]
    shown["value"] = [f"{v:,.0f} [{lo:,.0f}, {hi:,.0f}]" for v, lo, hi in value]
    shown["ltv_to_cac"] = ["n/a" if np.isnan(v) else f"{v:.2f}" for v in table["ltv_to_cac"]]
    shown = shown.drop(columns=["ltv_lower", "ltv_upper", "value_lower", "value_upper"])
    text = shown.to_string(formatters={"spend": "{:,.0f}".format, "cac": "{:,.2f}".format,
                                       "customers": "{:,.0f}".format, "max_cac": "{:,.2f}".format})
    total_spend, total_value = table["spend"].sum(), table["value"].sum()
    return (
        f"Expected value bought by the spend plan ({horizon:g}-week discounted margin at {margin:.0%} margin; "
        f"90% intervals; target LTV:CAC {target_ratio:g})\n{text}\n"
        f"Total: spend {total_spend:,.0f} buys {table['customers'].sum():,.0f} customers worth {total_value:,.0f} "
        f"(value / spend {total_value / total_spend if total_spend > 0 else float('nan'):.2f})"
    )


def main(argv: list[str] | None = None) -> int:
    demo = Path(__file__).resolve().parents[1] / "data" / "demo"
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("plan", help="spend plan CSV: channel, spend[, cac]")
    parser.add_argument("--transactions", default=demo / "transactions.csv")
    parser.add_argument("--acquisitions", default=demo / "acquisitions.csv")
    parser.add_argument("--channel-spend", default=None, help="historical spend per channel and period (fills blank CACs)")
    parser.add_argument("--observation-end", default=None, help="last day of the history (default: last purchase)")
    parser.add_argument("--horizon", type=float, default=52.0, help="LTV horizon in weeks (default 52)")
    parser.add_argument("--discount-rate", type=float, default=0.1, help="annual discount rate (default 0.1)")
    parser.add_argument("--margin", type=float, default=0.3, help="share of revenue kept (default 0.3)")
    parser.add_argument("--target-ratio", type=float, default=3.0, help="target LTV:CAC ratio (default 3)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the bootstrap intervals")
    args = parser.parse_args(argv)
    try:
        plan = read_plan(args.plan)
        models = fit_channels(args.transactions, args.acquisitions, observation_end=args.observation_end)
        history = None if args.channel_spend is None else historical_cac(args.acquisitions, args.channel_spend)
        table = value_of_plan(plan, models, horizon=args.horizon, discount_rate=args.discount_rate,
                              margin=args.margin, target_ratio=args.target_ratio, seed=args.seed, history_cac=history)
    except (clv.DataError, clv.ConvergenceError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(format_table(table, horizon=args.horizon, margin=args.margin, target_ratio=args.target_ratio))
    return 0


if __name__ == "__main__":
    sys.exit(main())

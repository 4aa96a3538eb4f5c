"""The cohort table: customers, cost and LTV per channel and acquisition month."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["cohort_table"]


def cohort_table(acq: pd.DataFrame, margin: float) -> pd.DataFrame:
    """Customers, cost and LTV per channel and acquisition month.

    ``acq`` is the per-customer table of :func:`clv.channels.costs.acquired_customers`;
    CAC follows the channel rule (mean over the customers with a known cost).

    Examples
    --------
    >>> import pandas as pd
    >>> acq = pd.DataFrame({"customer_id": [1, 2], "channel": ["a", "a"], "cohort": ["2024-01", "2024-01"],
    ...                     "cost": [10.0, None], "ltv_realized": [5.0, 7.0], "ltv_expected": [15.0, 25.0]})
    >>> cohort_table(acq, 1.0)[["channel", "cohort", "customers", "cac", "ltv_expected", "ltv_to_cac"]]
      channel   cohort  customers   cac  ltv_expected  ltv_to_cac
    0       a  2024-01          2  10.0          20.0         2.0
    """
    known = acq["cost"].notna()
    grouped = acq.assign(_known=known, _cost=acq["cost"].fillna(0.0)).groupby(["channel", "cohort"], sort=True)
    out = grouped.agg(
        customers=("customer_id", "size"),
        cost_known=("_known", "sum"),
        spend=("_cost", "sum"),
        ltv_realized=("ltv_realized", "mean"),
        ltv_expected=("ltv_expected", "mean"),
    )
    if "p_alive" in acq:
        out["p_alive"] = grouped["p_alive"].mean()
    out["cac"] = np.where(out["cost_known"] > 0, out["spend"] / out["cost_known"].clip(lower=1), np.nan)
    out.loc[out["cost_known"] == 0, "spend"] = np.nan
    with np.errstate(invalid="ignore", divide="ignore"):
        out["ltv_to_cac"] = np.where(out["cac"] > 0, out["ltv_expected"] / out["cac"].where(out["cac"] > 0, 1.0), np.nan)
        out["realized_to_cac"] = np.where(out["cac"] > 0, out["ltv_realized"] / out["cac"].where(out["cac"] > 0, 1.0), np.nan)
    out = out.drop(columns="cost_known").reset_index()
    cols = ["channel", "cohort", "customers", "spend", "cac", "ltv_realized", "ltv_expected", "ltv_to_cac", "realized_to_cac"]
    return out[cols + [c for c in out.columns if c not in cols]]

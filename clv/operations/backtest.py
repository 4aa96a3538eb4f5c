"""Backtest: how well would the method have forecast the business's own recent past?

The log is cut at ``observation_end - holdout``; the transaction (and spend)
model is refitted on the calibration part only, through the models' public
``fit``; its conditional predictions for the holdout are compared with what
the calibration cohort actually did there (:func:`clv.validate`, which this
module extends with deciles, channels and a one-sentence summary). Customers
whose first purchase falls in the holdout are outside the cohort: they are
counted, not forecast (the method forecasts the existing base).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from clv.data.summary import EPOCH, calibration_holdout, day_number, time_unit_days
from clv.errors import DataError
from clv.models import TRANSACTION_MODELS
from clv.validation import Tracking, ValidationResult, validate

__all__ = ["Backtest", "backtest", "backtest_sentence", "default_holdout"]

MIN_HOLDOUT_WEEKS = 13.0


@dataclass(frozen=True)
class Backtest:
    """Outcome of :func:`backtest`.

    Attributes
    ----------
    validation : clv.ValidationResult
        Per-customer predictions, metrics (purchases and revenue) and the tracking series.
    by_channel : pandas.DataFrame
        Holdout purchases and revenue, actual against predicted, per channel
        (one group ``"all"`` without acquisitions) and in total
        (:func:`clv.validation.group_totals`).
    deciles : pandas.DataFrame
        Customers ranked by predicted holdout value (revenue with a spend
        model, else purchases) in ten equal groups, 10 = highest: per decile
        ``n_customers``, mean ``predicted_purchases``, ``actual_purchases``,
        ``mae_purchases`` and, with revenue, ``predicted_revenue``, ``actual_revenue``.
    settings : dict
        ``holdout`` (time units), ``time_unit``, ``calibration_end``,
        ``observation_end``, ``model`` (what was fitted), ``revenue``, ``n_customers`` and
        ``new_customers_in_holdout`` (acquired in the holdout, not forecast).

    Examples
    --------
    >>> import clv
    >>> bt = clv.backtest(clv.datasets.load_cdnow(), holdout=39, observation_end="1998-06-30")
    >>> bt.settings["calibration_end"], bt.settings["n_customers"]
    ('1997-09-30', 2357)
    """

    validation: ValidationResult
    by_channel: pd.DataFrame
    deciles: pd.DataFrame
    settings: dict[str, Any]

    @property
    def tracking(self) -> Tracking:
        """The weekly (per time unit) tracking series, calibration and holdout."""
        assert self.validation.tracking is not None
        return self.validation.tracking

    def summary(self, currency: str = "") -> str:
        """One sentence: what the method predicted for the holdout against what happened.

        Parameters
        ----------
        currency : str
            Label placed before revenue figures (``"USD"``).

        Returns
        -------
        str

        Examples
        --------
        >>> import clv
        >>> bt = clv.backtest(clv.datasets.load_cdnow(), holdout=39, observation_end="1998-06-30")
        >>> print(bt.summary(currency="USD"))  # doctest: +NORMALIZE_WHITESPACE
        On your last 39 weeks (1997-10-01 to 1998-06-30) the method, fitted only on the data before them,
        predicted 1,653 repeat purchases against 1,882 actual (−12.1%) and USD 59,932 revenue against USD 70,976 actual (−15.6%).
        """
        return backtest_sentence(self.validation.metrics, self.settings, currency=currency)


def _signed(rel: float) -> str:
    if not np.isfinite(rel):
        return "n/a"
    return f"{'−' if rel < 0 else '+'}{abs(rel):.1%}"


def backtest_sentence(metrics: pd.Series, settings: dict[str, Any], *, currency: str = "") -> str:
    """The summary sentence of a backtest from its metrics and settings.

    Parameters
    ----------
    metrics : pandas.Series
        :attr:`clv.ValidationResult.metrics` (``actual_total``,
        ``predicted_total``, optionally the revenue totals).
    settings : dict
        :attr:`Backtest.settings`.
    currency : str
        Label placed before revenue figures.

    Returns
    -------
    str

    Examples
    --------
    >>> import pandas as pd
    >>> m = pd.Series({"actual_total": 200.0, "predicted_total": 230.0})
    >>> s = {"holdout": 13.0, "time_unit": "W", "calibration_end": "2025-09-30", "observation_end": "2025-12-30"}
    >>> print(backtest_sentence(m, s))  # doctest: +NORMALIZE_WHITESPACE
    On your last 13 weeks (2025-10-01 to 2025-12-30) the method, fitted only on the data before them,
    predicted 230 repeat purchases against 200 actual (+15.0%).
    """
    units = {"W": "weeks", "D": "days", "M": "months"}[settings["time_unit"]]
    start = (pd.Timestamp(settings["calibration_end"]) + pd.Timedelta(days=1)).date()
    length = f"{settings['holdout']:g}"
    text = (f"On your last {length} {units} ({start} to {settings['observation_end']}) the method, fitted only on the data "
            f"before them, predicted {metrics['predicted_total']:,.0f} repeat purchases against {metrics['actual_total']:,.0f} "
            f"actual ({_signed(metrics['predicted_total'] / metrics['actual_total'] - 1 if metrics['actual_total'] else np.nan)})")
    if "predicted_revenue_total" in metrics.index:
        cur = f"{currency} " if currency else ""
        text += (f" and {cur}{metrics['predicted_revenue_total']:,.0f} revenue against {cur}{metrics['actual_revenue_total']:,.0f} "
                 f"actual ({_signed(metrics['revenue_relative_bias'])})")
    return text + "."


def default_holdout(tx: pd.DataFrame, *, observation_end: Any = None, time_unit: str = "W") -> float:
    """The report's holdout: the last quarter of the span (rounded to whole time units), at least 13 weeks.

    Parameters
    ----------
    tx : pandas.DataFrame
        Output of :func:`clv.read_transactions`.
    observation_end : date-like, optional
        Defaults to the last purchase day.
    time_unit : {"W", "D", "M"}

    Returns
    -------
    float
        Holdout length in ``time_unit``.

    Raises
    ------
    clv.DataError
        When the span is shorter than twice the 13-week minimum (26 weeks):
        the calibration part would be shorter than the holdout.

    Examples
    --------
    >>> import clv
    >>> default_holdout(clv.datasets.load_cdnow(), observation_end="1998-06-30")  # 546 days / 4 = 19.5 weeks
    20.0
    """
    unit = time_unit_days(time_unit)
    first = pd.Timestamp(tx["date"].min()).normalize()
    end = pd.Timestamp(tx["date"].max()).normalize() if observation_end is None else pd.Timestamp(observation_end).normalize()
    span_days = float((end - first).days + 1)
    minimum = MIN_HOLDOUT_WEEKS * 7.0
    if span_days < 2 * minimum:
        raise DataError(f"the data span {span_days:.0f} days, less than the {2 * minimum:.0f} needed for a backtest "
                        f"with a {MIN_HOLDOUT_WEEKS:g}-week holdout; backtest skipped")
    return float(max(np.floor(span_days / 4 / unit + 0.5), np.ceil(minimum / unit - 1e-9)))


def _clone(model: Any) -> Any:
    return type(model)(**model.get_params())


def _deciles(customers: pd.DataFrame) -> pd.DataFrame:
    value = customers["predicted_revenue"] if "predicted_revenue" in customers.columns else customers["predicted"]
    rank = value.rank(method="first").to_numpy()
    decile = np.ceil(rank * 10 / len(rank)).astype(int)
    out = customers.assign(decile=decile, abs_error=(customers["predicted"] - customers["actual"]).abs())
    cols = {"predicted": "predicted_purchases", "actual": "actual_purchases", "abs_error": "mae_purchases"}
    if "predicted_revenue" in customers.columns:
        cols.update(predicted_revenue="predicted_revenue", actual_revenue="actual_revenue")
    table = out.groupby("decile")[list(cols)].mean().rename(columns=cols)
    table.insert(0, "n_customers", out.groupby("decile").size())
    return table


def backtest(
    tx: pd.DataFrame,
    *,
    holdout: float | None = None,
    model: Any = None,
    spend_model: Any = None,
    acquisitions: pd.DataFrame | None = None,
    observation_end: Any = None,
    time_unit: str = "W",
    revenue: bool = True,
    per_channel: bool = True,
) -> Backtest:
    """Refit on the data up to ``observation_end - holdout``, forecast the holdout, compare with what happened.

    Parameters
    ----------
    tx : pandas.DataFrame
        Output of :func:`clv.read_transactions`.
    holdout : float, optional
        Holdout length in ``time_unit`` (whole days are used); default
        :func:`default_holdout`.
    model : unfitted transaction model, optional
        ``BetaGeo()`` (default), ``ModifiedBetaGeo()``, ``ParetoNBD()``; a
        fresh copy with the same settings is fitted, ``model`` is untouched.
    spend_model : unfitted GammaGamma, optional
        Default ``GammaGamma()``; gives the revenue comparison.
    acquisitions : pandas.DataFrame, optional
        Output of :func:`clv.read_acquisitions`; adds the per-channel rows.
    observation_end : date-like, optional
        Last day of the holdout; defaults to the last purchase day.
    time_unit : {"W", "D", "M"}
    revenue : bool
        Compare revenue as well as purchases (needs repeat buyers with spend).
    per_channel : bool
        With ``acquisitions``: fit a model pair per channel, as the channel
        report does (:func:`clv.fit_channel_models`: small channels and failed
        fits use the pooled pair), and predict each customer with their
        channel's models. Otherwise one pooled pair.

    Returns
    -------
    Backtest

    Examples
    --------
    Fader, Hardie & Lee (2005), section 4: BG/NBD fitted on CDNOW's first 39
    weeks predicts 1,653.4 repeat purchases in the next 39 weeks, against
    1,882 actual:

    >>> import clv
    >>> bt = clv.backtest(clv.datasets.load_cdnow(), holdout=39, observation_end="1998-06-30")
    >>> bt.validation.metrics[["predicted_total", "actual_total"]].round(1).tolist()
    [1653.4, 1882.0]
    """
    from clv.models import BetaGeo, GammaGamma

    end = pd.Timestamp(tx["date"].max()).normalize() if observation_end is None else pd.Timestamp(observation_end).normalize()
    if holdout is None:
        holdout = default_holdout(tx, observation_end=end, time_unit=time_unit)
    if not np.isfinite(holdout) or holdout <= 0:
        raise DataError(f"holdout must be a positive number of time units, got {holdout}")
    end_day = day_number(end, "observation_end")
    cal_day = end_day - round(holdout * time_unit_days(time_unit))
    cal_end = str(EPOCH + np.timedelta64(cal_day, "D"))
    ch = calibration_holdout(tx, calibration_end=cal_end, observation_end=end, time_unit=time_unit)
    template = model if model is not None else BetaGeo()
    groups = pd.Series("all", index=ch.index) if acquisitions is None else acquisitions.set_index("customer_id")["channel"]
    if acquisitions is not None and per_channel:
        from clv.channels import fit_channel_models

        kind = next((k for k, cls in TRANSACTION_MODELS.items() if cls is type(template)), None)
        if kind is None:
            raise DataError(f"per-channel backtest supports BetaGeo, ModifiedBetaGeo and ParetoNBD, got {type(template).__name__}")
        fitted = fit_channel_models(ch, acquisitions, transaction_model=kind, penalizer=template.penalizer)
        tm, spend = fitted.transaction_models, (fitted.spend_models if revenue else None)
        label = f"{type(template).__name__} per channel ({sum(v == 'channel MLE' for v in fitted.sources.values())} own fits)"
    else:
        tm = _clone(template).fit(ch)
        spend = _clone(spend_model if spend_model is not None else GammaGamma()).fit(ch) if revenue else None
        label = repr(tm)
    result = validate(tm, ch, transactions=tx, spend_model=spend, groups=groups)
    settings = {
        "holdout": float(holdout), "time_unit": time_unit, "calibration_end": cal_end,
        "observation_end": ch.attrs["observation_end"], "model": label, "revenue": bool(revenue),
        "n_customers": len(ch),
        "new_customers_in_holdout": int(ch.attrs["exclusions"]["customers_first_purchase_in_holdout"]),
    }
    return Backtest(validation=result, by_channel=result.by_group, deciles=_deciles(result.customers), settings=settings)

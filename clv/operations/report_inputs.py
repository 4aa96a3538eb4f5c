"""What the channel report's operations sections need, computed once: the cohort retention table and the backtest.

This is where the report's backtest fits a model (through the public API);
the report sections only format the result.
"""

from __future__ import annotations

from typing import Any, Callable

import pandas as pd

from clv.errors import DataError
from clv.operations.backtest import backtest
from clv.operations.retention import retention_table

__all__ = ["operations_extra"]


def operations_extra(
    transactions: pd.DataFrame,
    acquisitions: pd.DataFrame | None,
    transaction_models: Any,
    *,
    observation_end: Any = None,
    time_unit: str = "W",
    holdout: float | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Retention by cohort and channel (observed and expected) and the default backtest, for ``write_report(extra=...)``.

    Parameters
    ----------
    transactions : pandas.DataFrame
        Output of :func:`clv.read_transactions`.
    acquisitions : pandas.DataFrame or None
        Output of :func:`clv.read_acquisitions` (cohorts from ``acquired_at``, one curve per channel).
    transaction_models : fitted transaction model or mapping
        The report's purchase models: ``{channel: model}`` with the pooled one
        under ``"*"``, or one model. The backtest refits a fresh pooled model
        of the pooled model's class on the data before the holdout.
    observation_end : date-like, optional
    time_unit : {"W", "D", "M"}
    holdout : float, optional
        Backtest holdout in time units; default :func:`clv.operations.default_holdout`.
    progress : callable, optional
        Called with a short message before each step.

    Returns
    -------
    dict
        ``{"retention": RetentionTable, "backtest": Backtest or None, "backtest_note": str or None}``;
        the note says why the backtest was skipped.

    Examples
    --------
    >>> import clv
    >>> tx = clv.datasets.load_cdnow()
    >>> bg = clv.BetaGeo().fit(clv.rfm_summary(tx, observation_end="1998-06-30"))
    >>> extra = operations_extra(tx, None, bg, observation_end="1998-06-30")
    >>> extra["backtest"].settings["holdout"], extra["backtest_note"]
    (20.0, None)
    """
    say = progress or (lambda _: None)
    say("retention by cohort, observed and expected")
    by = "channel" if acquisitions is not None else None
    retention = retention_table(transactions, acquisitions, period="M", by=by, model=transaction_models,
                                observation_end=observation_end, time_unit=time_unit)
    template = transaction_models.get("*") if isinstance(transaction_models, dict) else transaction_models
    if template is None:
        template = next(iter(transaction_models.values()))
    say("backtest: refitting on the data before the holdout")
    note = None
    try:
        bt = backtest(transactions, holdout=holdout, model=type(template)(**template.get_params()), acquisitions=acquisitions,
                      observation_end=observation_end, time_unit=time_unit)
    except DataError as exc:
        bt, note = None, str(exc)
    return {"retention": retention, "backtest": bt, "backtest_note": note}

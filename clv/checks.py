"""The one home of the argument checks shared across the library, all raising :class:`clv.DataError`.

Score tables (the output of :func:`clv.customer_value`), margins, fractions,
interval widths, seeds and draw counts are checked here and nowhere else, so
every function refuses the same bad input with the same message. RFM frames
are checked at the models' boundary by :func:`clv.data.rfm_checks.check_rfm`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from clv.errors import DataError

__all__ = [
    "SCORE_COLUMNS",
    "align",
    "check_draw_settings",
    "check_fraction",
    "check_interval",
    "check_margin",
    "check_scores",
    "require_seed",
    "show_id",
]

SCORE_COLUMNS = ("p_alive", "churn_probability", "clv")
"""Columns of a score table that the segment rules read."""


def show_id(value: Any) -> str:
    """``repr`` of a customer id without numpy's type wrapper (``np.int64(5)`` shows as ``5``).

    Examples
    --------
    >>> import numpy as np
    >>> show_id(np.int64(5)), show_id("c1")
    ('5', "'c1'")
    """
    return repr(value.item() if isinstance(value, np.generic) else value)


def check_margin(margin: float) -> float:
    """``margin`` as a float; a :class:`clv.DataError` unless it is a share of revenue in ``[0, 1]``."""
    if margin is None or not np.isfinite(margin) or not 0 <= margin <= 1:
        raise DataError(f"margin must lie between 0 and 1 (share of revenue kept), got {margin}")
    return float(margin)


def check_fraction(value: float, name: str) -> float:
    """``value`` as a float; a :class:`clv.DataError` naming ``name`` unless it lies in ``[0, 1]``."""
    if value is None or not np.isfinite(value) or not 0 <= value <= 1:
        raise DataError(f"{name} must lie between 0 and 1, got {value}")
    return float(value)


def check_interval(interval: float) -> float:
    """``interval`` as a float; a :class:`clv.DataError` unless ``0 < interval < 1`` (0.9 = 5% to 95%)."""
    if interval is None or not np.isfinite(interval) or not 0 < interval < 1:
        raise DataError(f"interval must lie between 0 and 1 (both excluded), got {interval}")
    return float(interval)


def require_seed(seed: int | None, what: str = "an interval") -> int:
    """``seed`` as an int; a :class:`clv.DataError` when it is missing (draws are always seeded)."""
    if seed is None:
        raise DataError(f"{what} needs an explicit seed (the same seed gives the same result)")
    return int(seed)


def check_draw_settings(interval: float | None, seed: int | None, n_draws: int) -> None:
    """Check the ``interval``, ``seed`` and ``n_draws`` of a call that may draw an interval (``interval=None``: no draws)."""
    if interval is None:
        return
    check_interval(interval)
    require_seed(seed)
    if int(n_draws) < 2:
        raise DataError(f"n_draws must be at least 2 for an interval, got {n_draws}")


def check_scores(scores: Any, columns: tuple[str, ...] = SCORE_COLUMNS, *, allow_empty: bool = False,
                 name: str = "the score table") -> pd.DataFrame:
    """Check a score table: a DataFrame, one row per customer, the ``columns`` present and finite.

    ``name`` is how messages call the table (the argument's name, e.g. ``"scores"``).

    Examples
    --------
    >>> import pandas as pd
    >>> check_scores(pd.DataFrame({"clv": [1.0, float("nan")]}, index=["a", "b"]), ("clv",))
    Traceback (most recent call last):
    ...
    clv.errors.DataError: column 'clv': missing or non-finite value for customer 'b': {'clv': nan}
    """
    if not isinstance(scores, pd.DataFrame):
        raise DataError(f"expected a score table (see clv.customer_value), got {type(scores).__name__}")
    if scores.empty and not allow_empty:
        raise DataError(f"{name} has no rows")
    for col in columns:
        if col not in scores.columns:
            raise DataError(f"column '{col}': missing from {name} (pass the output of clv.customer_value); columns found: {list(scores.columns)}")
        values = pd.to_numeric(scores[col], errors="coerce").to_numpy(dtype=float)
        bad = ~np.isfinite(values)
        if bad.any():
            row = scores.iloc[int(np.argmax(bad))]
            raise DataError(f"column '{col}': missing or non-finite value for customer {show_id(row.name)}: {row.to_dict()}")
    if scores.index.has_duplicates:
        raise DataError(f"customer {show_id(scores.index[scores.index.duplicated()][0])} appears twice in {name} "
                        "(expected one row per customer_id)")
    return scores


def align(frame: pd.DataFrame, index: pd.Index, what: str) -> pd.DataFrame:
    """``frame`` reordered to ``index``; every customer of ``index`` must be in it, once."""
    missing = index.difference(frame.index)
    if len(missing):
        raise DataError(
            f"customer {missing[0]!r}: in the score table but not in the {what} ({len(missing)} customers missing)"
        )
    if frame.index.has_duplicates:
        raise DataError(f"customer {frame.index[frame.index.duplicated()][0]!r} appears twice in the {what}")
    return frame if frame.index.equals(index) else frame.loc[index]

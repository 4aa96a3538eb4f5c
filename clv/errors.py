"""Exceptions and warnings raised by :mod:`clv`.

Every error a user can trigger with bad input is a :class:`DataError`; every
optimisation that does not reach a trustworthy optimum is a
:class:`ConvergenceError`. Both carry a single-line message meant to be shown
to a person as is.
"""

from __future__ import annotations

__all__ = [
    "ClvError",
    "ClvWarning",
    "ConvergenceError",
    "DataError",
    "DataWarning",
    "NotFittedError",
]


class ClvError(Exception):
    """Base class of every exception raised on purpose by :mod:`clv`."""


class DataError(ClvError, ValueError):
    """Input data is malformed.

    The message names the offending column and shows an example row. It is
    also a :class:`ValueError`, so existing ``except ValueError`` blocks
    catch it.

    Examples
    --------
    >>> import pandas as pd, clv
    >>> raw = pd.DataFrame({"customer_id": [1, 2], "date": ["2024-01-02", "2024-01-03"], "amount": ["10", "ten"]})
    >>> clv.read_transactions(raw)
    Traceback (most recent call last):
    ...
    clv.errors.DataError: column 'amount': not a number ('ten') in row 2: {'customer_id': 2, 'date': '2024-01-03', 'amount': 'ten'}
    """


class ConvergenceError(ClvError, RuntimeError):
    """The maximum-likelihood optimiser did not reach a valid optimum.

    The message says why and what to try (check the time unit and
    observation end, a small ``penalizer``, or ``initial_params``). It is
    also a :class:`RuntimeError`.

    Examples
    --------
    >>> import clv
    >>> rfm = clv.rfm_summary(clv.datasets.load_cdnow(), observation_end="1997-09-30")
    >>> clv.BetaGeo(max_iter=1).fit(rfm)
    Traceback (most recent call last):
    ...
    clv.errors.ConvergenceError: BetaGeo did not converge (...); check that the RFM frame uses the intended time unit ...
    """


class NotFittedError(ClvError, AttributeError):
    """A method that needs fitted parameters was called before ``fit``.

    Also an :class:`AttributeError`, as in scikit-learn.

    Examples
    --------
    >>> import clv
    >>> rfm = clv.rfm_summary(clv.datasets.load_cdnow(), observation_end="1997-09-30")
    >>> clv.BetaGeo().probability_alive(rfm)
    Traceback (most recent call last):
    ...
    clv.errors.NotFittedError: BetaGeo is not fitted yet: call fit(rfm) or clv.load_model(path)
    """


class ClvWarning(UserWarning):
    """Base class of warnings emitted by :mod:`clv`.

    For instance a fit whose observed information is not positive definite
    (no standard errors), or parameter draws left out of an interval. Turn
    them into errors, or silence them, with the standard :mod:`warnings`
    filters inside a :func:`warnings.catch_warnings` block.

    Examples
    --------
    >>> import warnings, clv
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always", clv.ClvWarning)
    ...     warnings.warn("standard errors are not available", clv.ClvWarning)
    >>> [type(w.message).__name__ for w in caught]
    ['ClvWarning']
    """


class DataWarning(ClvWarning):
    """Data was usable but something about it deserves attention.

    A :class:`ClvWarning`, so one filter on ``ClvWarning`` covers it.

    Examples
    --------
    >>> import clv
    >>> issubclass(clv.DataWarning, clv.ClvWarning), issubclass(clv.DataWarning, UserWarning)
    (True, True)
    """

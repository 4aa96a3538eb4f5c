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

    The message names the offending column and shows an example row, for
    instance ``column 'amount': not a number in row 3: {'customer_id': 'c1',
    'date': '2024-01-02', 'amount': 'ten'}``.
    """


class ConvergenceError(ClvError, RuntimeError):
    """The maximum-likelihood optimiser did not reach a valid optimum."""


class NotFittedError(ClvError, AttributeError):
    """A method that needs fitted parameters was called before ``fit``."""


class ClvWarning(UserWarning):
    """Base class of warnings emitted by :mod:`clv`."""


class DataWarning(ClvWarning):
    """Data was usable but something about it deserves attention."""

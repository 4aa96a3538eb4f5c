"""What valuation needs from a model, as :class:`typing.Protocol` classes.

Anything that meets :class:`TransactionModelLike` and :class:`SpendModelLike`
can be valued by :func:`clv.customer_value`, :func:`clv.channel_report` and the
budget functions: the maximum-likelihood models of :mod:`clv.models`, one
posterior draw of a :mod:`clv.bayes` model
(:class:`clv.bayes.predictions.PosteriorDrawBetaGeo`) or a stub in a test.
Nothing in the library tests model classes by name; it asks these questions.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import numpy as np
import pandas as pd

__all__ = ["SpendModelLike", "TransactionModelLike"]


@runtime_checkable
class TransactionModelLike(Protocol):
    """A purchase model at known parameters: the per-customer and new-customer expectations valuation uses.

    Examples
    --------
    >>> import clv
    >>> isinstance(clv.BetaGeo.from_params({"r": 0.24, "alpha": 4.4, "a": 0.79, "b": 2.4}), TransactionModelLike)
    True
    """

    def purchase_rate(self, rfm: pd.DataFrame) -> pd.Series:
        """Expected purchase rate of each customer while alive."""

    def probability_alive(self, rfm: pd.DataFrame) -> pd.Series:
        """P(alive | x, t_x, T) of each customer."""

    def expected_purchases(self, rfm: pd.DataFrame, t: float) -> pd.Series:
        """Expected purchases of each customer in the next ``t`` time units."""

    def discounted_purchases(self, rfm: pd.DataFrame, times: Any, factors: Any) -> tuple[np.ndarray, np.ndarray]:
        """Discounted and undiscounted expected purchases over the periods ending at ``times``."""

    def expected_purchases_new(self, t: Any) -> Any:
        """Expected repeat purchases of a newly acquired customer by time ``t``."""


@runtime_checkable
class SpendModelLike(Protocol):
    """A spend model at known parameters: conditional and population mean spend per transaction.

    Examples
    --------
    >>> import clv
    >>> isinstance(clv.GammaGamma.from_params({"p": 6.25, "q": 3.74, "v": 15.4}), SpendModelLike)
    True
    """

    def expected_spend(self, rfm: pd.DataFrame) -> pd.Series:
        """Expected spend per transaction of each customer."""

    def population_mean_spend(self) -> float:
        """Mean spend per transaction of a new customer."""

"""Shared behaviour of the transaction (purchase-count) models.

A concrete model names its kernel module; the kernels supply the maths. This
class turns RFM frames into kernel arrays, compresses customers to unique
``(x, t_x, T)`` tuples for fitting (the likelihood depends on nothing else),
and wraps kernel outputs as pandas objects indexed like the input.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from clv.data.rfm_checks import check_rfm, resolve_weights
from clv.models.base import MLEModel

__all__ = ["TransactionModel", "compress"]

_RFM = ("frequency", "recency", "T")


def compress(*columns: np.ndarray, weights: np.ndarray) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """Collapse rows with identical values in ``columns`` into one weighted row.

    Returns the unique columns, their summed weights and, for every input row,
    the index of its unique row (hash-based, no sort of the full data).
    """
    key = np.zeros(len(weights), dtype=np.int64)
    for col in columns:
        codes, uniques = pd.factorize(col)
        key = key * len(uniques) + codes
        if len(uniques) and key.max() > 2**52:  # re-factorize before the mixed key could overflow
            key = pd.factorize(key)[0].astype(np.int64)
    inverse, first = pd.factorize(key)
    first_row = np.zeros(len(first), dtype=np.int64)
    first_row[inverse[::-1]] = np.arange(len(key))[::-1]
    summed = np.bincount(inverse, weights=weights, minlength=len(first))
    return [col[first_row] for col in columns], summed, inverse


class TransactionModel(MLEModel):
    """Base class of BG/NBD, MBG/NBD and Pareto/NBD."""

    _kernel: ClassVar[ModuleType]

    # -- data --------------------------------------------------------------------
    @staticmethod
    def _arrays(rfm: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        check_rfm(rfm, _RFM)
        return tuple(rfm[c].to_numpy(dtype=float) for c in _RFM)  # type: ignore[return-value]

    def _prepare(self, rfm: pd.DataFrame, weights: Any) -> dict[str, Any]:
        x, t_x, T = self._arrays(rfm)
        w = resolve_weights(rfm, weights)
        keep = w > 0
        (ux, ut, uT), uw, _ = compress(x[keep], t_x[keep], T[keep], weights=w[keep])
        return {"x": ux, "t_x": ut, "T": uT, "w": uw, "n_obs": float(uw.sum()), "n_unique": len(uw)}

    def _loglik(self, params: np.ndarray, data: dict[str, Any]) -> float:
        return float(data["w"] @ self._kernel.loglik(*params, data["x"], data["t_x"], data["T"]))

    def _loglik_grad(self, params: np.ndarray, data: dict[str, Any]) -> tuple[float, np.ndarray] | None:
        grad = getattr(self._kernel, "loglik_grad", None)
        return None if grad is None else grad(params, data["x"], data["t_x"], data["T"], data["w"])

    def loglik(self, rfm: pd.DataFrame) -> pd.Series:
        """Per-customer log-likelihood at the fitted parameters."""
        x, t_x, T = self._arrays(rfm)
        return pd.Series(self._kernel.loglik(*self._values(), x, t_x, T), index=rfm.index, name="loglik")

    # -- predictions -------------------------------------------------------------
    def purchase_rate(self, rfm: pd.DataFrame) -> pd.Series:
        """Posterior mean purchase rate (lambda, purchases per time unit while alive) of each customer."""
        x, t_x, T = self._arrays(rfm)
        return pd.Series(self._kernel.purchase_rate(*self._values(), x, t_x, T), index=rfm.index, name="purchase_rate")

    def probability_alive(self, rfm: pd.DataFrame) -> pd.Series:
        """Probability that each customer is still active at the end of observation."""
        x, t_x, T = self._arrays(rfm)
        return pd.Series(self._kernel.probability_alive(*self._values(), x, t_x, T), index=rfm.index, name="p_alive")

    def expected_purchases(self, rfm: pd.DataFrame, t: float) -> pd.Series:
        """Expected purchases of each customer in the next ``t`` time units, given the history."""
        x, t_x, T = self._arrays(rfm)
        value = self._kernel.expected_purchases(t, *self._values(), x, t_x, T)
        return pd.Series(value, index=rfm.index, name="expected_purchases")

    def expected_purchases_curve(self, rfm: pd.DataFrame, times: np.ndarray) -> np.ndarray:
        """Expected cumulative purchases at each of ``times`` for each customer.

        Returns an array of shape ``(len(rfm), len(times))``. The "if alive"
        part depends only on ``(x, T)``, so it is computed once per distinct
        pair and then scaled by each customer's P(alive); this is what keeps
        discounted valuation of millions of customers fast.
        """
        x, t_x, T = self._arrays(rfm)
        times = np.asarray(times, dtype=float)
        params = self._values()
        (ux, uT), _, inverse = compress(x, T, weights=np.ones(len(x)))
        curve = self._kernel.expected_purchases_if_alive(times[None, :], *params, ux[:, None], uT[:, None])
        return curve[inverse] * self._kernel.probability_alive(*params, x, t_x, T)[:, None]

    def expected_purchases_new(self, t: Any) -> Any:
        """Expected repeat purchases of a newly acquired customer in ``(0, t]`` (scalar or array ``t``)."""
        value = self._kernel.expected_purchases_new(np.asarray(t, dtype=float), *self._values())
        return float(value) if np.ndim(value) == 0 else value

    def probability_of_purchases(self, n: Any, t: Any) -> Any:
        """P(a new customer makes exactly ``n`` repeat purchases in ``(0, t]``)."""
        value = self._kernel.probability_of_purchases(n, t, *self._values())
        return float(value) if np.ndim(value) == 0 else value

"""Hierarchical Bayesian BG/NBD (Fader, Hardie & Lee 2005) with parameters pooled across groups."""

from __future__ import annotations

from typing import Any, ClassVar, Mapping, Sequence

import numpy as np
import pandas as pd

from clv.bayes.base import BayesianModel
from clv.bayes.covariates import COEFFICIENT_PRIOR, CovariateBayes
from clv.bayes.predictions import PosteriorDrawBetaGeo, at_draws
from clv.bayes.priors import BETA_GEO_LINKS, BETA_GEO_PRIORS
from clv.data.rfm_checks import check_rfm
from clv.kernels import bgnbd
from clv.kernels.design import Column

__all__ = ["HierarchicalBetaGeo"]

_RFM = ("frequency", "recency", "T")


class HierarchicalBetaGeo(CovariateBayes, BayesianModel):
    """BG/NBD with group-level parameters partially pooled around population means.

    For each group ``g`` (e.g. acquisition channel) four quantities are drawn
    around population means with a learned spread: ``log r``, the log mean
    purchase rate ``log(r / alpha)``, the logit mean dropout probability
    ``logit(a / (a + b))`` and the log concentration ``log(a + b)``
    (partially centred per group; see :mod:`clv.bayes.priors`). Customers of
    group ``g`` then follow the BG/NBD likelihood of Fader, Hardie & Lee
    (2005), eq. 6, evaluated with its gradient by the MLE's kernel
    (:func:`clv.kernels.bgnbd.loglik_grad`) over distinct
    ``(group, frequency, recency, T)`` tuples with their counts as weights
    (:class:`clv.bayes.likelihood.GroupedLogLike`). ``group=None`` gives the
    plain Bayesian BG/NBD.

    Predictions (``purchase_rate``, ``probability_alive``,
    ``expected_purchases``) return ``(chain, draw, customer_id)`` DataArrays,
    or with ``interval=`` a ``mean, lower, upper`` table computed on the fly.

    Parameters
    ----------
    group : str or None
        Group column of the RFM frame, or ``None`` for no pooling structure.
    purchase_covariates, dropout_covariates : sequence of str, optional
        Covariate columns of the RFM frame, as in :class:`clv.BetaGeo`
        (``alpha_i = alpha_g exp(-c . z_i)``; ``a_i, b_i = (a_g, b_g) exp(c . z_i)``),
        with coefficients shared by every group (:mod:`clv.bayes.covariates`;
        posterior in :meth:`coefficients`). Predictions then use each customer's
        covariates; group-level draws (the channel report) are refused.
    priors, sampler, progressbar, target_accept, centered_from
        See :class:`clv.bayes.base.BayesianModel`; default priors
        :data:`clv.bayes.priors.BETA_GEO_PRIORS` and ``"coefficients"``
        (:data:`clv.bayes.covariates.COEFFICIENT_PRIOR`).

    Examples
    --------
    >>> import clv, clv.bayes
    >>> model = clv.bayes.HierarchicalBetaGeo(group="channel")
    >>> model
    HierarchicalBetaGeo(group='channel', not fitted)
    """

    param_names = bgnbd.PARAMS
    links = BETA_GEO_LINKS
    default_priors: ClassVar[Mapping[str, Mapping[str, float]]] = {**BETA_GEO_PRIORS, "coefficients": COEFFICIENT_PRIOR}
    _kernel = staticmethod(bgnbd.loglik_grad)
    _row_kernel = staticmethod(bgnbd.row_derivatives)

    def __init__(self, group: str | None = None, *, purchase_covariates: Sequence[str] | None = None,
                 dropout_covariates: Sequence[str] | None = None, **settings: Any) -> None:
        super().__init__(group, **settings)
        self.purchase_covariates = list(purchase_covariates or [])
        self.dropout_covariates = list(dropout_covariates or [])

    def _covariate_groups(self) -> list[Any]:
        return [("purchase", tuple(self.purchase_covariates), (("alpha", -1),)),
                ("dropout", tuple(self.dropout_covariates), (("a", 1), ("b", 1)))]

    def _base_columns(self, rfm: pd.DataFrame) -> dict[str, np.ndarray]:
        check_rfm(rfm, _RFM)
        return {c: rfm[c].to_numpy(dtype=float) for c in _RFM}

    def _coarsen(self, columns: dict[str, np.ndarray], resolution: float) -> dict[str, np.ndarray]:
        """Move ``recency`` and ``T`` to the midpoint of their bin of width ``resolution``.

        Binning is monotone, so ``recency <= T`` still holds; a repeat buyer's
        recency stays positive (rounding to the nearest multiple sent recent
        repeat buyers to recency 0, where they look dropped out at once), and
        customers without repeats keep recency 0.
        """
        def mid(v: np.ndarray) -> np.ndarray:
            return (np.floor(v / resolution) + 0.5) * resolution

        return {**columns, "recency": np.where(columns["frequency"] > 0, mid(columns["recency"]), 0.0), "T": mid(columns["T"])}

    def _natural(self, sampled: Mapping[str, Any]) -> dict[str, Any]:
        """``r = e^u_r``, ``alpha = r / e^u_rate``, ``a = kappa m``, ``b = kappa (1 - m)`` with ``m = sigmoid(u_dropout)``."""
        import pytensor.tensor as pt

        kappa = pt.exp(sampled["concentration"])
        return {
            "r": pt.exp(sampled["r"]),
            "alpha": pt.exp(sampled["r"] - sampled["purchase_rate"]),
            "a": kappa * pt.sigmoid(sampled["dropout"]),
            "b": kappa * pt.sigmoid(-sampled["dropout"]),
        }

    def _kernel_data(self, columns: Mapping[str, np.ndarray], weights: np.ndarray) -> tuple[Any, ...]:
        return (*(Column.of(columns[c]) for c in _RFM), weights)

    def _derived(self, params: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Mean purchase rate ``r / alpha`` (gamma mean) and mean dropout probability ``a / (a + b)`` (beta mean)."""
        return {"purchase_rate": params["r"] / params["alpha"], "dropout_probability": params["a"] / (params["a"] + params["b"])}

    def _draw_model(self, params: Mapping[str, np.ndarray]) -> PosteriorDrawBetaGeo:
        return PosteriorDrawBetaGeo(params, self.group, list(self.groups_))

    # -- predictions ---------------------------------------------------------------
    def _rfm(self, rfm: pd.DataFrame) -> list[np.ndarray]:
        columns = self._columns(rfm)
        return [columns[c] for c in _RFM]

    def purchase_rate(self, rfm: pd.DataFrame, *, n_draws: int | None = None, interval: float | None = None) -> Any:
        """Posterior of each customer's expected purchase rate given the history (per time unit, while alive).

        Parameters
        ----------
        rfm : pandas.DataFrame
            RFM frame with the group column.
        n_draws : int, optional
            Thin the posterior to about this many draws (evenly spaced per chain).
        interval : float, optional
            When given, return ``mean, lower, upper`` per customer instead of draws.

        Returns
        -------
        xarray.DataArray or pandas.DataFrame
            Dims ``(chain, draw, customer_id)``, or the summary table.
        """
        fn = at_draws(bgnbd.purchase_rate, self.param_names)
        return self._predict(rfm, fn, self._rfm(rfm), n_draws=n_draws, interval=interval, name="purchase_rate")

    def probability_alive(self, rfm: pd.DataFrame, *, n_draws: int | None = None, interval: float | None = None) -> Any:
        """Posterior of P(alive) of each customer (eq. A.1); arguments as :meth:`purchase_rate`."""
        fn = at_draws(bgnbd.probability_alive, self.param_names)
        return self._predict(rfm, fn, self._rfm(rfm), n_draws=n_draws, interval=interval, name="p_alive")

    def expected_purchases(self, rfm: pd.DataFrame, t: float, *, n_draws: int | None = None, interval: float | None = None) -> Any:
        """Posterior of the expected purchases in the next ``t`` time units (eq. 10); arguments as :meth:`purchase_rate`."""
        fn = at_draws(bgnbd.expected_purchases, self.param_names, float(t))
        return self._predict(rfm, fn, self._rfm(rfm), n_draws=n_draws, interval=interval, name="expected_purchases")

    def expected_purchases_curve(self, rfm: pd.DataFrame, times: Any, *, n_draws: int | None = 200) -> np.ndarray:
        """Posterior mean of the expected cumulative purchases at each of ``times``, shape ``(len(rfm), len(times))``."""
        models = self.draw_models(n_draws)
        total = np.zeros((len(rfm), len(np.atleast_1d(times))))
        for m in models:
            total += m.expected_purchases_curve(rfm, times)
        return total / len(models)

"""Hierarchical Bayesian Gamma-Gamma spend model (Fader & Hardie 2013) pooled across groups."""

from __future__ import annotations

from typing import Any, ClassVar, Mapping, Sequence

import numpy as np
import pandas as pd

from clv.bayes.base import BayesianModel
from clv.bayes.covariates import COEFFICIENT_PRIOR, CovariateBayes
from clv.bayes.predictions import PosteriorDrawGammaGamma, at_draws
from clv.bayes.priors import GAMMA_GAMMA_LINKS, GAMMA_GAMMA_PRIORS
from clv.data.rfm_checks import check_rfm
from clv.kernels import gammagamma
from clv.kernels.design import Column
from clv.models.customer_predictions import spend_arrays

__all__ = ["HierarchicalGammaGamma"]


class HierarchicalGammaGamma(CovariateBayes, BayesianModel):
    """Gamma-Gamma spend model with group-level ``p, q, v`` partially pooled around population means.

    ``log p``, the log population mean spend ``log(p v / (q - 1))`` and
    ``log(q - 1)`` are drawn per group around population means (see
    :mod:`clv.bayes.priors`: sampling ``log p, log q, log v`` instead put
    NUTS on a ridge with correlations near -0.97). The likelihood is the MLE's
    :func:`clv.kernels.gammagamma.loglik_grad` (Fader & Hardie 2013, eq. 3,
    with its gradient; on data prepared once, :class:`clv.kernels.gammagamma.SpendData`), over distinct
    ``(group, frequency, monetary_value)`` tuples weighted by their counts.
    As for :class:`clv.GammaGamma`, only customers with repeat purchases and a
    positive mean repeat spend enter the fit; the others are counted in
    ``n_excluded_`` and get the population mean spend of their group.

    Parameters
    ----------
    group : str or None
        Group column of the RFM frame, or ``None`` for no pooling structure.
    spend_covariates : sequence of str, optional
        Covariate columns of the RFM frame, as in :class:`clv.GammaGamma`
        (``v_i = v_g exp(c . z_i)``, so a positive coefficient raises spend),
        with coefficients shared by every group (:mod:`clv.bayes.covariates`).
    priors, sampler, progressbar, target_accept, centered_from
        See :class:`clv.bayes.base.BayesianModel`; default priors
        :data:`clv.bayes.priors.GAMMA_GAMMA_PRIORS` and ``"coefficients"``
        (:data:`clv.bayes.covariates.COEFFICIENT_PRIOR`).

    Examples
    --------
    >>> import clv.bayes
    >>> clv.bayes.HierarchicalGammaGamma(group=None)
    HierarchicalGammaGamma(group=None, not fitted)
    """

    param_names = gammagamma.PARAMS
    links = GAMMA_GAMMA_LINKS
    default_priors: ClassVar[Mapping[str, Mapping[str, float]]] = {**GAMMA_GAMMA_PRIORS, "coefficients": COEFFICIENT_PRIOR}
    _kernel = staticmethod(gammagamma.prepared_loglik_grad)
    _row_kernel = staticmethod(gammagamma.row_derivatives)

    def __init__(self, group: str | None = None, *, spend_covariates: Sequence[str] | None = None, **settings: Any) -> None:
        super().__init__(group, **settings)
        self.spend_covariates = list(spend_covariates or [])

    def _covariate_groups(self) -> list[Any]:
        return [("spend", tuple(self.spend_covariates), (("v", 1),))]

    def _base_columns(self, rfm: pd.DataFrame) -> dict[str, np.ndarray]:
        check_rfm(rfm, ("frequency", "monetary_value"))
        return {"frequency": rfm["frequency"].to_numpy(dtype=float), "monetary_value": rfm["monetary_value"].to_numpy(dtype=float)}

    def _usable(self, columns: Mapping[str, np.ndarray]) -> np.ndarray:
        return (columns["frequency"] > 0) & (columns["monetary_value"] > 0)

    def _natural(self, sampled: Mapping[str, Any]) -> dict[str, Any]:
        """``p = e^u_p``, ``q = 1 + e^u_q1``, ``v = e^(u_mean + u_q1 - u_p)`` (so that ``p v / (q - 1) = e^u_mean``)."""
        import pytensor.tensor as pt

        return {
            "p": pt.exp(sampled["p"]),
            "q": 1.0 + pt.exp(sampled["q_minus_1"]),
            "v": pt.exp(sampled["mean_spend"] + sampled["q_minus_1"] - sampled["p"]),
        }

    def _kernel_data(self, columns: Mapping[str, np.ndarray], weights: np.ndarray) -> tuple[Any, ...]:
        return (gammagamma.SpendData.of(Column.of(columns["frequency"]), columns["monetary_value"], weights),)

    def _derived(self, params: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Population mean spend ``p v / (q - 1)`` of each group (eq. 5 without history)."""
        zero = np.zeros_like(params["p"])
        return {"mean_spend": gammagamma.expected_spend(params["p"], params["q"], params["v"], zero, zero)}

    def _draw_model(self, params: Mapping[str, np.ndarray]) -> PosteriorDrawGammaGamma:
        return PosteriorDrawGammaGamma(params, self.group, list(self.groups_))

    def expected_spend(self, rfm: pd.DataFrame, *, n_draws: int | None = None, interval: float | None = None) -> Any:
        """Posterior of each customer's expected spend per transaction (eq. 5).

        Arguments and return as :meth:`clv.bayes.HierarchicalBetaGeo.purchase_rate`.
        """
        fn = at_draws(gammagamma.expected_spend, self.param_names)
        return self._predict(rfm, fn, list(spend_arrays(rfm)), n_draws=n_draws, interval=interval, name="expected_spend")

"""Hierarchical Bayesian shifted-beta-geometric (sBG) retention model (Fader & Hardie 2007) pooled across cohorts or channels."""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import pandas as pd

from clv.bayes.base import BayesianModel
from clv.bayes.priors import SPREAD
from clv.checks import check_interval
from clv.data.contracts import check_contracts
from clv.errors import DataError
from clv.kernels import sbg

__all__ = ["SHIFTED_BETA_GEO_LINKS", "SHIFTED_BETA_GEO_PRIORS", "HierarchicalShiftedBetaGeo"]

#: sBG sampled quantities: ``logit(alpha / (alpha + beta))`` (``churn``, the mean churn probability
#: per period) and ``log(alpha + beta)`` (``concentration`` of the churn probabilities across customers).
SHIFTED_BETA_GEO_LINKS: dict[str, str] = {"churn": "logit", "concentration": "log"}
#: sBG priors: ``logit(churn) ~ Normal(-1.5, 1.5)`` covers mean churn of 1% to 80% a period;
#: ``log(alpha + beta) ~ Normal(1, 1.5)`` concentrations from 0.1 to 50.
SHIFTED_BETA_GEO_PRIORS: dict[str, dict[str, float]] = {
    "churn": {"loc": -1.5, "scale": 1.5, **SPREAD},
    "concentration": {"loc": 1.0, "scale": 1.5, **SPREAD},
}


class HierarchicalShiftedBetaGeo(BayesianModel):
    """sBG contract-renewal model with group-level ``alpha, beta`` partially pooled around population means.

    Each group's mean churn probability ``alpha / (alpha + beta)`` (logit
    scale) and concentration ``alpha + beta`` (log scale) are drawn around
    population means (the structure of :mod:`clv.bayes.priors`), so a small
    cohort borrows strength from the others. The likelihood is the MLE's
    :func:`clv.kernels.sbg.loglik_grad` (Fader & Hardie 2007, eqs. 6-7, with
    its gradient) over distinct ``(group, tenure, churned)`` rows weighted by
    their counts.

    The contracts frame has one row per customer: ``tenure`` (renewals made)
    and ``churned`` (true/false or 1/0), plus the ``group`` column. Aggregated
    rows with a weight column are not read: expand them first
    (``frame.loc[frame.index.repeat(frame["weight"])]``).

    Parameters
    ----------
    group : str or None
        Cohort or channel column, or ``None`` for no pooling structure.
    priors, sampler, progressbar, target_accept, centered_from
        See :class:`clv.bayes.base.BayesianModel`; default priors
        :data:`SHIFTED_BETA_GEO_PRIORS`.

    Examples
    --------
    >>> import clv.bayes
    >>> clv.bayes.HierarchicalShiftedBetaGeo(group="cohort")
    HierarchicalShiftedBetaGeo(group='cohort', not fitted)
    """

    param_names = sbg.PARAMS
    links = SHIFTED_BETA_GEO_LINKS
    default_priors = SHIFTED_BETA_GEO_PRIORS
    _kernel = staticmethod(sbg.loglik_grad)

    def _columns(self, rfm: pd.DataFrame) -> dict[str, np.ndarray]:
        if isinstance(rfm, pd.DataFrame) and "weight" in rfm.columns:
            raise DataError("column 'weight': HierarchicalShiftedBetaGeo reads one row per customer; expand weighted rows "
                            "first, e.g. frame.loc[frame.index.repeat(frame['weight'])].drop(columns='weight')")
        checked = check_contracts(rfm)
        return {"tenure": checked["renewals"], "churned": checked["churned"].astype(float)}

    def _natural(self, sampled: Mapping[str, Any]) -> dict[str, Any]:
        """``alpha = m c``, ``beta = (1 - m) c`` with ``m = expit(u_churn)``, ``c = e^u_concentration``."""
        import pytensor.tensor as pt

        mean = pt.sigmoid(sampled["churn"])
        concentration = pt.exp(sampled["concentration"])
        return {"alpha": mean * concentration, "beta": (1.0 - mean) * concentration}

    def _kernel_data(self, columns: Mapping[str, np.ndarray], weights: np.ndarray) -> tuple[Any, ...]:
        return columns["tenure"], columns["churned"] > 0.5, weights

    def _derived(self, params: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Mean churn probability per period ``alpha / (alpha + beta)`` of each group."""
        return {"churn": params["alpha"] / (params["alpha"] + params["beta"])}

    def _draw_model(self, params: Mapping[str, np.ndarray]) -> dict[str, Any]:
        """One posterior draw as ``{group: clv.ShiftedBetaGeo}`` at that draw's parameters."""
        from clv.models.shifted_beta_geo import ShiftedBetaGeo

        return {str(g): ShiftedBetaGeo.from_params({k: float(params[k][i]) for k in self.param_names})
                for i, g in enumerate(self.groups_)}

    def survival(self, periods: int, *, interval: float = 0.9) -> pd.DataFrame:
        """Posterior mean and central ``interval`` of each group's survival ``S(t)``, ``t = 0..periods`` (eq. 7).

        Parameters
        ----------
        periods : int
            Last period of the curve.
        interval : float
            Central probability of ``lower`` and ``upper``.

        Returns
        -------
        pandas.DataFrame
            Index ``(group, period)``; columns ``mean, lower, upper``.

        Examples
        --------
        >>> import pandas as pd, clv.bayes
        >>> contracts = pd.DataFrame({"tenure": [0, 1, 2, 5, 5], "churned": [1, 1, 1, 0, 0]})
        >>> model = clv.bayes.HierarchicalShiftedBetaGeo().fit(contracts, draws=50, tune=50, chains=1, random_seed=1)  # doctest: +SKIP
        >>> model.survival(3)  # doctest: +SKIP
        """
        check_interval(interval)
        params, _, _ = self._draws(None)
        t = np.arange(int(periods) + 1, dtype=float)
        tail = (1.0 - interval) / 2.0
        rows = []
        for g, level in enumerate(self.groups_):
            alpha, beta = params["alpha"][:, :, g].ravel(), params["beta"][:, :, g].ravel()
            curves = np.exp(sbg.log_survival(t[None, :], alpha[:, None], beta[:, None]))  # (draws, periods)
            lower, upper = np.quantile(curves, [tail, 1.0 - tail], axis=0)
            rows += [(level, int(k), m, lo, up) for k, m, lo, up in zip(t, curves.mean(axis=0), lower, upper)]
        name = self.group or "group"
        return pd.DataFrame(rows, columns=[name, "period", "mean", "lower", "upper"]).set_index([name, "period"])

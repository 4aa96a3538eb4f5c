"""Gamma-Gamma model of spend per transaction (Fader & Hardie 2013)."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from clv.data.rfm_checks import check_rfm, resolve_weights
from clv.errors import DataError
from clv.kernels import gammagamma
from clv.kernels.design import dot
from clv.models.base import MLEModel
from clv.models.covariate_links import Group

__all__ = ["GammaGamma"]


class GammaGamma(MLEModel):
    """Gamma-Gamma spend model, fitted by maximum likelihood.

    Fitted on customers with at least one repeat purchase and a positive
    mean repeat spend; the others are left out and counted in
    ``exclusions_`` (and in ``summary().attrs``). The model assumes spend is
    independent of purchase frequency; check ``rfm[["frequency",
    "monetary_value"]].corr()`` is small before trusting it. Likelihood:
    Fader & Hardie (2013), eq. 3 (see :mod:`clv.kernels.gammagamma`).

    Parameters
    ----------
    spend_covariates : sequence of str, optional
        Covariate columns of the RFM frame that shift spend:
        ``v_i = v exp(g . z_i)``. Mean spend is ``p v / (q - 1)``, which grows
        with ``v`` (``v`` is the rate of the gamma mixing the spend *rate*
        ``nu``), so a positive coefficient ``spend:<col>`` multiplies the
        expected spend by ``exp(g)``. (Issue 13 wrote ``exp(-g . z)`` with the
        same intent; with that sign a positive coefficient would lower spend.)
        See :mod:`clv.data.covariates` for the encoding.
    penalizer : float
        L2 penalty on the parameters (0, the default, gives the plain MLE).
    initial_params : mapping, optional
        Starting values of the optimiser, by parameter name.
    max_iter : int
        Iteration limit of the optimiser.
    tol : float
        Gradient tolerance of the optimiser.

    Attributes
    ----------
    params_ : pandas.Series
        Estimates of ``p, q, v``.
    log_likelihood_ : float
        Log-likelihood at the estimates.
    n_obs_ : float
        Number of customers fitted (sum of the weights).
    result_ : clv.FitResult
        Standard errors, intervals, AIC/BIC and parameter draws.
    exclusions_ : dict
        Customers left out of the fit: ``customers_without_repeat_purchases``
        and ``customers_with_non_positive_spend``.

    Examples
    --------
    >>> import clv
    >>> rfm = clv.rfm_summary(clv.datasets.load_cdnow(), observation_end="1997-09-30")
    >>> gg = clv.GammaGamma().fit(rfm)
    >>> gg.params_.round(3).to_dict()
    {'p': 6.25, 'q': 3.744, 'v': 15.444}
    """

    param_names = gammagamma.PARAMS
    _default_start = (1.0, 1.0, 1.0)
    _analytic_gradient = True
    _analytic_hessian = True

    def __init__(
        self,
        *,
        spend_covariates: Sequence[str] | None = None,
        penalizer: float = 0.0,
        initial_params: Mapping[str, float] | None = None,
        max_iter: int = 2000,
        tol: float = 1e-9,
    ) -> None:
        super().__init__(penalizer=penalizer, initial_params=initial_params, max_iter=max_iter, tol=tol)
        self.spend_covariates = list(spend_covariates or [])

    def get_params(self) -> dict[str, Any]:
        """Settings given to ``__init__`` (scikit-learn convention)."""
        return {**super().get_params(), "spend_covariates": list(self.spend_covariates)}

    def _covariate_groups(self) -> list[Group]:
        return [("spend", tuple(self.spend_covariates), (("v", 1),))]

    def _prepare(self, rfm: pd.DataFrame, weights: Any) -> dict[str, Any]:
        check_rfm(rfm, ("frequency", "monetary_value"))
        x = rfm["frequency"].to_numpy(dtype=float)
        m = rfm["monetary_value"].to_numpy(dtype=float)
        w = resolve_weights(rfm, weights)
        repeat = x > 0
        positive = repeat & (m > 0)
        keep = positive & (w > 0)
        # Counted in customers: with weights, a row stands for that many customers.
        exclusions = {
            "customers_without_repeat_purchases": int(np.rint(w[~repeat].sum())),
            "customers_with_non_positive_spend": int(np.rint(w[repeat & ~positive].sum())),
        }
        if not keep.any():
            raise DataError("column 'monetary_value': no customer has repeat purchases with a positive mean spend")
        self.exclusions_ = exclusions
        Z = self._design_matrix(rfm)
        return {
            "x": x[keep],
            "m": m[keep],
            "w": w[keep],
            "n_obs": float(w[keep].sum()),
            "n_unique": int(keep.sum()),
            "extra": {"exclusions": exclusions},
            **({} if Z is None else self._covariate_fit_data(Z[keep])),
        }

    def _loglik(self, params: np.ndarray, data: dict[str, Any]) -> float:
        values = self._rows(params, data) if "Z" in data else params
        return dot(data["w"], gammagamma.loglik(*values, data["x"], data["m"]))

    def _loglik_grad(self, params: np.ndarray, data: dict[str, Any]) -> tuple[float, np.ndarray]:
        return gammagamma.loglik_grad(params, data["x"], data["m"], data["w"])

    def _loglik_hessian(self, params: np.ndarray, data: dict[str, Any]) -> tuple[float, np.ndarray, np.ndarray]:
        return gammagamma.loglik_hessian(params, data["x"], data["m"], data["w"])

    def _row_derivatives(self, rows: list[Any], data: dict[str, Any], hessian: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        return gammagamma.row_derivatives(*rows, data["x"], data["m"], hessian=hessian)

    def _spend_params(self, rfm: pd.DataFrame) -> list[Any]:
        """``p, q, v`` for each customer of ``rfm`` (``v`` an array when spend covariates act)."""
        if getattr(self, "links_", None) is None:
            return list(self._values())
        return self.links_.row_params(self.result_.estimates, self._design_matrix(rfm))  # type: ignore[union-attr]

    @classmethod
    def _from_dict(cls, data: dict[str, Any]) -> GammaGamma:
        model = super()._from_dict(data)
        model.exclusions_ = dict(model.result_.extra.get("exclusions", {}))
        return model  # type: ignore[return-value]

    def expected_spend(self, rfm: pd.DataFrame) -> pd.Series:
        """Conditional expected value of each customer's future transactions (Fader & Hardie 2013, eq. 5).

        Customers without repeat purchases, or with a non-positive mean
        repeat spend, carry no usable spend history and get the population
        mean ``p v / (q - 1)``.

        Parameters
        ----------
        rfm : pandas.DataFrame
            Columns ``frequency`` and ``monetary_value`` (output of
            :func:`clv.rfm_summary`).

        Returns
        -------
        pandas.Series
            ``expected_spend`` per customer, indexed like ``rfm``.

        Examples
        --------
        >>> import clv
        >>> rfm = clv.rfm_summary(clv.datasets.load_cdnow(), observation_end="1997-09-30")
        >>> gg = clv.GammaGamma().fit(rfm)
        >>> gg.expected_spend(rfm).head(3).round(2)
        customer_id
        1    24.65
        2    18.91
        3    35.17
        Name: expected_spend, dtype: float64

        Customer 3 has no repeat purchase and gets the population mean:

        >>> round(gg.population_mean_spend(), 2)
        35.17
        """
        check_rfm(rfm, ("frequency", "monetary_value"))
        p, q, v = self._spend_params(rfm)
        x = rfm["frequency"].to_numpy(dtype=float)
        m = rfm["monetary_value"].to_numpy(dtype=float)
        usable = (x > 0) & (m > 0)
        value = gammagamma.expected_spend(p, q, v, np.where(usable, x, 0.0), np.where(usable, m, 0.0))
        return pd.Series(value, index=rfm.index, name="expected_spend")

    def population_mean_spend(self, *, covariates: Any = None) -> float:
        """Mean spend per transaction across the population, ``p v / (q - 1)``.

        Parameters
        ----------
        covariates : mapping or pandas.DataFrame, optional
            For a model with spend covariates, the profile (``{"region": "north"}``
            or a one-row frame) whose mean is wanted.

        Returns
        -------
        float
            Infinite when ``q <= 1``.

        Examples
        --------
        >>> import clv
        >>> rfm = clv.rfm_summary(clv.datasets.load_cdnow(), observation_end="1997-09-30")
        >>> round(clv.GammaGamma().fit(rfm).population_mean_spend(), 2)
        35.17
        """
        return gammagamma.population_mean_spend(*self._profile_params(covariates))

"""Shifted-beta-geometric model of contract renewals (Fader & Hardie 2007)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from clv.data.contracts import check_contracts
from clv.errors import DataError
from clv.kernels import sbg
from clv.kernels.design import dot
from clv.models.base import MLEModel
from clv.models.transactions import compress

__all__ = ["ShiftedBetaGeo"]


class ShiftedBetaGeo(MLEModel):
    """sBG model of contractual retention, fitted by maximum likelihood.

    Each customer churns at every renewal opportunity with a constant
    probability ``theta``; ``theta`` varies across customers as
    Beta(alpha, beta). Heterogeneity makes the aggregate retention rate rise
    with tenure, ``r(t) = (beta + t - 1) / (alpha + beta + t - 1)`` (Fader &
    Hardie 2007, "How to project customer retention", eqs. 6-8; see
    :mod:`clv.kernels.sbg`).

    The input has one row per customer: ``tenure`` is the number of renewals
    made, ``churned`` whether the customer has left (after those renewals).
    A churned customer contributes ``P(T = tenure + 1)`` to the likelihood,
    an active one ``S(tenure)``.

    Parameters
    ----------
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
        Estimates of ``alpha, beta`` over all customers.
    log_likelihood_ : float
        Log-likelihood at the estimates.
    n_obs_ : float
        Number of customers fitted (sum of the weights).
    result_ : clv.FitResult
        Standard errors, intervals, AIC/BIC and parameter draws.
    group_models_ : dict
        With ``fit(..., group=column)``: one fitted model per group label.

    Examples
    --------
    The "regular" cohort of Fader & Hardie (2007), fitted on years 0-7:

    >>> import clv
    >>> from clv.data.contracts import contracts_from_survivors
    >>> contracts = contracts_from_survivors([1000, 631, 468, 382, 326, 289, 262, 241])
    >>> sbg = clv.ShiftedBetaGeo().fit(contracts, weights="weight")
    >>> sbg.params_.round(3).to_dict(), round(sbg.log_likelihood_, 2)
    ({'alpha': 0.704, 'beta': 1.182}, -1680.27)
    >>> (1000 * sbg.survival([8, 9, 10, 11, 12])).round(0)
    array([220., 204., 191., 180., 170.])
    """

    param_names = sbg.PARAMS
    _default_start = (1.0, 1.0)
    _analytic_gradient = True

    # -- fitting -----------------------------------------------------------------
    def fit(self, contracts: Any, *, weights: str | None = None, group: str | None = None,  # type: ignore[override]
            tenure: str = "tenure", churned: str = "churned") -> ShiftedBetaGeo:
        """Estimate ``alpha, beta`` by maximum likelihood, over all customers and (with ``group``) per group.

        Parameters
        ----------
        contracts : pandas.DataFrame or path
            One row per customer with the renewals made (``tenure``) and the
            churn flag (``churned``: true/false or 1/0).
        weights : str, optional
            Column with the number of customers each row stands for.
        group : str, optional
            Column with a cohort or channel label; each group also gets its
            own fit, in ``group_models_``.
        tenure, churned : str
            Names of the renewal-count and churn-flag columns.

        Returns
        -------
        self

        Examples
        --------
        >>> import pandas as pd, clv
        >>> contracts = pd.DataFrame({"tenure": [0, 0, 1, 2, 3, 3, 4, 6], "churned": [1, 1, 1, 0, 1, 0, 0, 0]})
        >>> clv.ShiftedBetaGeo().fit(contracts).params_.round(3).to_dict()
        {'alpha': 0.612, 'beta': 1.934}
        """
        cols = check_contracts(contracts, tenure=tenure, churned=churned, weight=weights, group=group)
        super().fit(pd.DataFrame({k: cols[k] for k in ("renewals", "churned", "weights")}), weights="weights")
        self.group_models_: dict[str, ShiftedBetaGeo] = {}
        if group is not None:
            for label in pd.unique(cols["group"]):
                rows = cols["group"] == label
                sub = pd.DataFrame({k: cols[k][rows] for k in ("renewals", "churned", "weights")})
                self.group_models_[str(label)] = MLEModel.fit(type(self)(**self.get_params()), sub, weights="weights")  # type: ignore[assignment]
        return self

    def _prepare(self, frame: pd.DataFrame, weights: Any) -> dict[str, Any]:
        w = frame[weights].to_numpy(dtype=float)
        keep = w > 0
        if not keep.any():
            raise DataError("contracts: every row has weight 0")
        if not frame["churned"].to_numpy()[keep].any():
            raise DataError("column 'churned': no customer has churned, so the churn rate cannot be estimated")
        (n, lost), uw, _ = compress(frame["renewals"].to_numpy(dtype=float)[keep], frame["churned"].to_numpy(dtype=bool)[keep], weights=w[keep])
        return {"n": n, "churned": lost.astype(bool), "w": uw, "n_obs": float(uw.sum()), "n_unique": len(uw)}

    def _loglik(self, params: np.ndarray, data: dict[str, Any]) -> float:
        return dot(data["w"], sbg.loglik(*params, data["n"], data["churned"]))

    def _loglik_grad(self, params: np.ndarray, data: dict[str, Any]) -> tuple[float, np.ndarray]:
        return sbg.loglik_grad(params, data["n"], data["churned"], data["w"])

    # -- persistence -------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description, with the per-group fits under ``groups``."""
        out = super().to_dict()
        out["groups"] = {k: m.result_.to_dict() for k, m in getattr(self, "group_models_", {}).items()}
        return out

    @classmethod
    def _from_dict(cls, data: dict[str, Any]) -> ShiftedBetaGeo:
        model = super()._from_dict(data)
        model.group_models_ = {}  # type: ignore[attr-defined]
        for label, result in data.get("groups", {}).items():
            sub = super()._from_dict({**data, "result": result})
            model.group_models_[label] = sub  # type: ignore[attr-defined]
        return model  # type: ignore[return-value]

    # -- predictions -------------------------------------------------------------
    def _group_values(self, group: str | None) -> tuple[float, float]:
        if group is None:
            return self._values()  # type: ignore[return-value]
        models = getattr(self, "group_models_", {})
        if str(group) not in models:
            raise DataError(f"group {group!r} was not fitted; fitted groups: {sorted(models)}")
        return models[str(group)]._values()

    def survival(self, t: Any, *, group: str | None = None) -> np.ndarray:
        """Share of a new cohort still active after ``t`` renewal opportunities, ``S(t)`` (Fader & Hardie 2007, eq. 7).

        Parameters
        ----------
        t : int or array-like
            Periods since acquisition (0 gives 1).
        group : str, optional
            A group label of ``fit(..., group=...)``; default: all customers.

        Returns
        -------
        numpy.ndarray
            ``S(t)`` shaped like ``t``.

        Examples
        --------
        >>> import clv
        >>> sbg = clv.ShiftedBetaGeo.from_params({"alpha": 0.704, "beta": 1.182})
        >>> sbg.survival([0, 1, 2]).round(3)
        array([1.   , 0.627, 0.474])
        """
        return np.exp(sbg.log_survival(t, *self._group_values(group)))

    def retention_rate(self, t: Any, *, group: str | None = None) -> np.ndarray:
        """Share of the customers active at ``t - 1`` who renew at ``t`` (Fader & Hardie 2007, eq. 8).

        Parameters
        ----------
        t : int or array-like
            Periods since acquisition, ``t >= 1``.
        group : str, optional
            A group label of ``fit(..., group=...)``; default: all customers.

        Returns
        -------
        numpy.ndarray
            Retention rates shaped like ``t``; they rise with ``t``.

        Examples
        --------
        >>> import clv
        >>> sbg = clv.ShiftedBetaGeo.from_params({"alpha": 0.704, "beta": 1.182})
        >>> sbg.retention_rate([1, 2, 10]).round(3)
        array([0.627, 0.756, 0.935])
        """
        return sbg.retention_rate(t, *self._group_values(group))

    def projection(self, periods: int, *, cohort_size: float = 1.0, group: str | None = None) -> pd.DataFrame:
        """Survival and retention of a new cohort over periods ``0..periods``.

        Parameters
        ----------
        periods : int
            Last period shown.
        cohort_size : float
            Customers at period 0; ``active`` is ``cohort_size * S(t)``.
        group : str, optional
            A group label of ``fit(..., group=...)``; default: all customers.

        Returns
        -------
        pandas.DataFrame
            Indexed by ``period``: ``survival``, ``retention_rate`` (NaN at 0) and ``active``.

        Examples
        --------
        >>> import clv
        >>> sbg = clv.ShiftedBetaGeo.from_params({"alpha": 0.704, "beta": 1.182})
        >>> sbg.projection(2, cohort_size=1000).round(3)
                survival  retention_rate    active
        period
        0          1.000             NaN  1000.000
        1          0.627           0.627   626.723
        2          0.474           0.756   473.843
        """
        t = np.arange(int(periods) + 1)
        s = self.survival(t, group=group)
        retention = np.r_[np.nan, self.retention_rate(t[1:], group=group)]
        frame = pd.DataFrame({"survival": s, "retention_rate": retention, "active": cohort_size * s}, index=pd.Index(t, name="period"))
        return frame

    def expected_residual_lifetime(self, renewals: Any, *, group: str | None = None) -> Any:
        """Expected further renewals of a customer active after ``renewals`` renewals: ``(beta + n) / (alpha - 1)``.

        Infinite when ``alpha <= 1`` (see :func:`clv.kernels.sbg.expected_residual_lifetime`).

        Parameters
        ----------
        renewals : int or array-like
            Renewals made so far.
        group : str, optional
            A group label of ``fit(..., group=...)``; default: all customers.

        Returns
        -------
        float or numpy.ndarray
            A float for scalar input.

        Examples
        --------
        >>> import clv
        >>> round(clv.ShiftedBetaGeo.from_params({"alpha": 3.0, "beta": 8.0}).expected_residual_lifetime(2), 3)
        5.0
        """
        value = sbg.expected_residual_lifetime(*self._group_values(group), renewals)
        return float(value) if np.ndim(value) == 0 else value

    def derl(self, renewals: Any, discount_rate: float, *, group: str | None = None) -> Any:
        """Discounted expected residual lifetime of a customer who has made ``renewals`` renewals.

        Fader & Hardie (2010), eq. 6: the expected number of further payments,
        the next one undiscounted and each later one discounted by a further
        period at ``discount_rate`` (see :func:`clv.kernels.sbg.derl`).
        Multiply by the margin per period for the residual lifetime value.

        Parameters
        ----------
        renewals : int or array-like
            Renewals made so far.
        discount_rate : float
            Discount rate per period (e.g. 0.1 for annual contracts at 10%).
        group : str, optional
            A group label of ``fit(..., group=...)``; default: all customers.

        Returns
        -------
        float or numpy.ndarray
            A float for scalar input.

        Examples
        --------
        >>> import clv
        >>> sbg = clv.ShiftedBetaGeo.from_params({"alpha": 0.704, "beta": 1.182})
        >>> sbg.derl([0, 1, 5], 0.1).round(3)
        array([2.965, 4.103, 6.265])
        """
        if not (np.isfinite(discount_rate) and discount_rate > 0):
            raise DataError(f"discount_rate must be a positive rate per period, got {discount_rate}")
        value = sbg.derl(discount_rate, *self._group_values(group), renewals)
        return float(value) if np.ndim(value) == 0 else value


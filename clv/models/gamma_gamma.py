"""Gamma-Gamma model of spend per transaction (Fader & Hardie 2013)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from clv.data.rfm_checks import check_rfm, resolve_weights
from clv.errors import DataError
from clv.kernels import gammagamma
from clv.kernels.design import dot
from clv.models.base import MLEModel
from clv.models.covariate_links import Group
from clv.models.customer_predictions import SpendPredictions, compress
from clv.models.limits import Limit
from clv.models.results import FitResult

__all__ = ["GammaGamma"]

_HOMOGENEOUS = Limit(
    kind="homogeneous_spend",
    reason=("customers' mean spends vary no more than single transactions do, so the spread of spend across customers "
            "(q, v -> inf with q/v fixed) is not identified; every customer's expected spend is one population value"),
    param_names=gammagamma.HOMOGENEOUS_PARAMS,
    loglik=lambda params, data: dot(data["w"], gammagamma.loglik_homogeneous(*params, data["x"], data["m"])),
    start=lambda data: gammagamma.fit_homogeneous(data["x"], data["m"], data["w"]),
    kernel=SimpleNamespace(expected_spend=gammagamma.expected_spend_homogeneous,
                           population_mean_spend=lambda p, mean_spend: float(mean_spend)),
)
_DETERMINISTIC = Limit(
    kind="deterministic_spend",
    reason=("each customer's transactions show no spread around their own mean (p -> inf with p v fixed), so each "
            "customer's expected spend is their own mean spend"),
    param_names=gammagamma.DETERMINISTIC_PARAMS,
    loglik=lambda params, data: dot(data["w"], gammagamma.loglik_deterministic(*params, data["x"], data["m"])),
    start=lambda data: gammagamma.fit_deterministic(data["m"], data["w"]),
    kernel=SimpleNamespace(expected_spend=gammagamma.expected_spend_deterministic,
                           population_mean_spend=gammagamma.population_mean_spend_deterministic),
)
_CONSTANT = Limit(
    kind="constant_spend",
    reason="every customer's mean spend is the same value, so expected spend is that value for everyone",
    param_names=("mean_spend",),
    loglik=lambda params, data: float("nan"),  # a point mass: the density is degenerate
    start=lambda data: (float("nan"),),  # never fitted: recognised directly from the data
    kernel=SimpleNamespace(expected_spend=lambda mean_spend, x, m: gammagamma.expected_spend_homogeneous(1.0, mean_spend, x, m),
                           population_mean_spend=lambda mean_spend: float(mean_spend)),
)


class GammaGamma(MLEModel, SpendPredictions):
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
    boundary_ : dict or None
        ``None`` for an ordinary fit. When spend shows no heterogeneity the
        maximum likelihood lies at the edge of the parameter space and the
        fit returns the limit model there (:mod:`clv.kernels.gammagamma`):
        ``"homogeneous_spend"`` (``q, v -> inf``: one spend distribution for
        all, ``params_`` = ``p, mean_spend``), ``"deterministic_spend"``
        (``p -> inf``: each customer always spends their own mean,
        ``params_`` = ``q, kappa``) or ``"constant_spend"`` (every mean spend
        equal, ``params_`` = ``mean_spend``). The limit is chosen by
        likelihood; ``boundary_["reason"]`` says why.

    Examples
    --------
    >>> import clv
    >>> rfm = clv.rfm_summary(clv.datasets.load_cdnow(), observation_end="1997-09-30")
    >>> gg = clv.GammaGamma().fit(rfm)
    >>> gg.params_.round(3).to_dict()
    {'p': 6.25, 'q': 3.744, 'v': 15.444}
    >>> gg.boundary_ is None
    True

    Spend drawn i.i.d. for every customer has no heterogeneity to estimate;
    the fit is the homogeneous limit, one expected spend for all:

    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> x = rng.integers(1, 6, 2000)
    >>> homogeneous = pd.DataFrame({"frequency": x, "monetary_value": rng.gamma(6.0 * x, 35 / 6 / x)})
    >>> gg = clv.GammaGamma().fit(homogeneous)
    >>> gg.boundary_["kind"], gg.params_.round(2).to_dict()
    ('homogeneous_spend', {'p': 5.87, 'mean_spend': 35.32})
    >>> gg.expected_spend(homogeneous).round(2).unique().tolist()
    [35.32]
    """

    param_names = gammagamma.PARAMS
    _kernel = gammagamma
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
    _limits = (_HOMOGENEOUS, _DETERMINISTIC, _CONSTANT)

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
        Z = self._fit_design_matrix(rfm)
        if Z is None:
            # The likelihood depends on (x, m) only: customers equal in both share one weighted row, met in the frame's
            # order (as the transaction models compress (x, t_x, T)), so an engine handing over the distinct (x, m)
            # with counts in the order of their first customer adds the same terms in the same order.
            (ux, um), uw, _ = compress(x[keep], m[keep], weights=w[keep])
        else:
            ux, um, uw = x[keep], m[keep], w[keep]
        return {
            "x": ux,
            "m": um,
            "w": uw,
            "n_obs": float(uw.sum()),
            "n_unique": len(uw),
            # Parameter draws are conditioned on q > 1, where the population mean spend p v / (q - 1) is finite.
            "extra": {"exclusions": exclusions, "draw_floor": {"q": 1.0}},
            **({} if Z is None else self._covariate_fit_data(Z[keep])),
        }

    def _fit_prepared(self, data: dict[str, Any]) -> Any:
        """Every mean spend equal: the constant-spend limit directly (its density is a point mass); else the MLE."""
        m = data["m"]
        if "Z" in data or m.max() - m.min() > 1e-12 * m.max():
            return super()._fit_prepared(data)
        return _constant_result(type(self).__name__, float(np.average(m, weights=data["w"])), data)

    def _loglik(self, params: np.ndarray, data: dict[str, Any]) -> float:
        values = self._rows(params, data) if "Z" in data else params
        return dot(data["w"], gammagamma.loglik(*values, data["x"], data["m"]))

    def _loglik_grad(self, params: np.ndarray, data: dict[str, Any]) -> tuple[float, np.ndarray]:
        return gammagamma.loglik_grad(params, data["x"], data["m"], data["w"])

    def _loglik_hessian(self, params: np.ndarray, data: dict[str, Any]) -> tuple[float, np.ndarray, np.ndarray]:
        return gammagamma.loglik_hessian(params, data["x"], data["m"], data["w"])

    def _row_derivatives(self, rows: list[Any], data: dict[str, Any], hessian: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        return gammagamma.row_derivatives(*rows, data["x"], data["m"], hessian=hessian)

    @classmethod
    def _from_dict(cls, data: dict[str, Any]) -> GammaGamma:
        model = super()._from_dict(data)
        model.exclusions_ = dict(model.result_.extra.get("exclusions", {}))
        return model  # type: ignore[return-value]

    def population_mean_spend(self, *, covariates: Any = None) -> float:
        """Mean spend per transaction across the population, ``p v / (q - 1)`` (or its limit, see ``boundary_``).

        Parameters
        ----------
        covariates : mapping or pandas.DataFrame, optional
            For a model with spend covariates, the profile (``{"region": "north"}``
            or a one-row frame) whose mean is wanted.

        Returns
        -------
        float
            Infinite when the mixing distribution has no mean (``q <= 1``).

        Examples
        --------
        >>> import clv
        >>> rfm = clv.rfm_summary(clv.datasets.load_cdnow(), observation_end="1997-09-30")
        >>> round(clv.GammaGamma().fit(rfm).population_mean_spend(), 2)
        35.17
        """
        return float(self._prediction_kernel().population_mean_spend(*self._profile_params(covariates)))


def _constant_result(name: str, mean_spend: float, data: dict[str, Any]) -> FitResult:
    """Fit result of the constant-spend limit: the one mean spend, known exactly (zero covariance)."""
    boundary = {"kind": _CONSTANT.kind, "reason": _CONSTANT.reason, "runaway": ["p", "q", "v"],
                "log_likelihood_interior": float("nan")}
    return FitResult(model=name, param_names=_CONSTANT.param_names, estimates=np.array([mean_spend]), cov_log=np.zeros((1, 1)),
                     log_likelihood=float("nan"), n_obs=float(data["n_obs"]), n_unique=int(data["n_unique"]), converged=True,
                     iterations=0, message="every mean spend is equal: constant-spend limit",
                     extra={**data.get("extra", {}), "boundary": boundary})

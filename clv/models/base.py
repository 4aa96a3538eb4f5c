"""Fitting machinery shared by every maximum-likelihood model.

A concrete model states its parameter names, how to turn an RFM frame into
arrays (``_prepare``) and its log-likelihood (``_loglik``, optionally with an
analytic gradient in ``_loglik_grad``). Everything else lives here: the
optimisation over log-parameters, the observed information, convergence
checks, and JSON persistence.
"""

from __future__ import annotations

import dataclasses
import json
import warnings
from pathlib import Path
from typing import Any, ClassVar, Mapping

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from clv.data.summary import time_unit_days
from clv.errors import ClvWarning, ConvergenceError, DataError, NotFittedError
from clv.models.covariate_links import CovariateSupport
from clv.models.limits import Limit, LimitPredictions
from clv.models.optimisation import EdgeOfParameterSpace, LikelihoodOptimiser
from clv.models.results import FitResult
from clv.output import write_text_atomic

__all__ = ["FORMAT_VERSION", "MLEModel"]

FORMAT_VERSION = 1
class MLEModel(CovariateSupport, LikelihoodOptimiser):
    """Base class: maximum likelihood over log-parameters.

    Parameters
    ----------
    penalizer : float
        L2 penalty on the parameters, ``penalizer * sum(theta**2)`` added to
        the mean negative log-likelihood (as lifetimes does). 0 gives the
        plain MLE.
    initial_params : mapping, optional
        Starting values on the natural scale.
    max_iter : int
        Iteration limit of the optimiser.
    tol : float
        Gradient tolerance of the optimiser (on the mean log-likelihood).

    Attributes
    ----------
    boundary_ : dict or None
        ``None`` for an ordinary fit. When the maximum likelihood lies at the
        edge of the parameter space and the model declares the limit there
        (:class:`Limit`), the fitted model is that limit model: ``params_``
        holds the limit's own parameters and ``boundary_`` says which limit,
        why (``kind``, ``reason``), which parameters ran off (``runaway``)
        and the full model's log-likelihood where the optimiser stopped
        (``log_likelihood_interior``). Saved and loaded with the model.
    """

    param_names: ClassVar[tuple[str, ...]] = ()
    _default_start: ClassVar[tuple[float, ...]] = ()
    _analytic_gradient: ClassVar[bool] = False  # does _loglik_grad return a gradient?
    _analytic_hessian: ClassVar[bool] = False  # does _loglik_hessian return a Hessian?
    _limits: ClassVar[tuple[Limit, ...]] = ()  # sub-models at the edge of the parameter space
    _time_params: ClassVar[tuple[str, ...]] = ()  # parameters in time units: scale by old/new unit length
    _kernel: ClassVar[Any] = None  # the kernel module the predictions call (clv.kernels.<model>)

    def __init__(
        self,
        *,
        penalizer: float = 0.0,
        initial_params: Mapping[str, float] | None = None,
        max_iter: int = 2000,
        tol: float = 1e-9,
    ) -> None:
        self.penalizer = penalizer
        self.initial_params = initial_params
        self.max_iter = max_iter
        self.tol = tol

    # -- what a model provides -------------------------------------------------
    def _prepare(self, rfm: pd.DataFrame, weights: Any) -> dict[str, Any]:
        raise NotImplementedError

    def _loglik(self, params: np.ndarray, data: dict[str, Any]) -> float:
        raise NotImplementedError

    def _loglik_grad(self, params: np.ndarray, data: dict[str, Any]) -> tuple[float, np.ndarray] | None:
        """Total log-likelihood and gradient in natural parameters; ``None`` for numerical gradients."""
        return None

    def _loglik_hessian(self, params: np.ndarray, data: dict[str, Any]) -> tuple[float, np.ndarray, np.ndarray] | None:
        """Total log-likelihood, gradient and Hessian in natural parameters; ``None`` when not available."""
        return None

    # -- settings and state ----------------------------------------------------
    def get_params(self) -> dict[str, Any]:
        """Settings given to ``__init__`` (scikit-learn convention)."""
        return {
            "penalizer": self.penalizer,
            "initial_params": dict(self.initial_params) if self.initial_params else None,
            "max_iter": self.max_iter,
            "tol": self.tol,
        }

    def __repr__(self) -> str:
        state = "fitted" if hasattr(self, "result_") else "not fitted"
        if hasattr(self, "result_"):
            state = ", ".join(f"{k}={v:.4g}" for k, v in self.params_.items())
        return f"{type(self).__name__}({state})"

    def _check_fitted(self) -> None:
        if not hasattr(self, "result_"):
            raise NotFittedError(f"{type(self).__name__} is not fitted yet: call fit(rfm) or clv.load_model(path)")

    def _values(self) -> tuple[float, ...]:
        self._check_fitted()
        return tuple(float(v) for v in self.result_.estimates)

    # -- fitting -----------------------------------------------------------------
    def fit(self, rfm: pd.DataFrame, *, weights: Any = None) -> MLEModel:
        """Estimate the parameters by maximum likelihood.

        Parameters
        ----------
        rfm : pandas.DataFrame
            Output of :func:`clv.rfm_summary` (or any frame with its columns).
        weights : str or array-like, optional
            A column name or an array of customer counts per row, for
            pre-aggregated data (each row then stands for that many customers).

        Returns
        -------
        self

        Raises
        ------
        clv.ConvergenceError
            When the optimiser stops without a valid optimum.

        Notes
        -----
        The time unit of ``rfm`` (``rfm.attrs["time_unit"]``, set by
        :func:`clv.rfm_summary`) is kept as ``time_unit_`` and saved with the
        model (``None`` for a frame that does not record it). Valuation
        functions use it to convert to the unit they are asked for.

        Examples
        --------
        >>> import clv
        >>> rfm = clv.rfm_summary(clv.datasets.load_cdnow(), observation_end="1997-09-30")
        >>> bg = clv.BetaGeo().fit(rfm)
        >>> bg.params_.round(4).to_dict()
        {'r': 0.2426, 'alpha': 4.4136, 'a': 0.7929, 'b': 2.4259}

        Pre-aggregated data: one row per distinct ``(frequency, recency, T)``
        with a count gives the same estimates.

        >>> agg = rfm.groupby(["frequency", "recency", "T"]).size().rename("n").reset_index()
        >>> len(agg), clv.BetaGeo().fit(agg, weights="n").params_.round(4).to_dict()
        (1016, {'r': 0.2426, 'alpha': 4.4136, 'a': 0.7929, 'b': 2.4259})
        """
        self._learn_covariates(rfm)
        data = self._prepare(rfm, weights)
        unit = rfm.attrs.get("time_unit")
        self.time_unit_ = None if unit is None else str(unit)
        # The optimiser works on vectors of 3-4 numbers; multithreaded BLAS only adds
        # thread wake-ups (measured 7 ms per L-BFGS-B step on a busy 2-core machine).
        with threadpool_limits(limits=1, user_api="blas"):
            self.result_ = self._unscale_result(self._fit_prepared(data))
        self.params_ = self.result_.params
        self.log_likelihood_ = self.result_.log_likelihood
        self.n_obs_ = self.result_.n_obs
        return self

    def _fit_prepared(self, data: dict[str, Any]) -> FitResult:
        """The full fit, or the best limit model when the full optimum lies at the edge.

        The limits are fitted when the optimiser runs off (a parameter beyond
        e^15), and also when it stops far out (beyond e^10) or where the
        observed information is not positive definite: there the likelihood
        may still be rising towards a limit, and the limit is kept only if its
        likelihood is higher.
        """
        try:
            result = self._optimise(data)
        except EdgeOfParameterSpace as edge:
            if "Z" in data:  # limits are sub-models without covariates
                raise
            # Beyond e^20 the full likelihood is a difference of log-gamma values near 1e10 or more and carries no
            # digits (0.0 was seen for a one-customer log): only the limits' own likelihoods are compared then.
            slack = np.inf if edge.extent > 20 else 1e-4
            best = self._best_limit(data, edge.names, edge.ll, slack)
            if best is None:
                raise
            return best
        far = [p for p, v in zip(self.param_names, np.log(result.estimates[: len(self.param_names)])) if abs(v) > 10]
        singular = not np.all(np.isfinite(result.cov_log))
        if self._limits and "Z" not in data and (far or singular):
            best = self._best_limit(data, far, result.log_likelihood, -1e-12)
            if best is not None:
                return best
        if singular:
            warnings.warn(f"{type(self).__name__}: observed information is not positive definite (or a parameter is not identified); "
                          "standard errors are not available",
                          ClvWarning, stacklevel=4)
        return result

    def _best_limit(self, data: dict[str, Any], runaway: list[str], ll: float, slack: float) -> FitResult | None:
        """Fit every declared limit and keep the one with the largest log-likelihood, if it beats ``ll``.

        The full likelihood rises towards a limit's along the runaway
        direction, so a limit is accepted only if its likelihood is at least
        ``ll``, the full model's where the optimiser stopped, less a relative
        ``slack``. After a runaway the slack is 1e-4: far out on the edge the
        full likelihood is a sum of differences of log-gamma functions of
        arguments near 1e9-1e10, whose rounding was measured at up to 2e-5 of
        the total. After an ordinary stop the limit must be strictly better.
        """
        best: tuple[float, Limit, FitResult] | None = None
        for limit in self._limits:
            start = np.asarray(limit.start(data), dtype=float)
            if not (np.all(np.isfinite(start)) and np.all(start > 0)):
                continue
            sub = _LimitModel(limit, start, max_iter=self.max_iter, tol=self.tol)
            try:
                result = sub._optimise(data)
            except ConvergenceError:
                continue
            if best is None or result.log_likelihood > best[0]:
                best = (result.log_likelihood, limit, result)
        if best is None or (np.isfinite(slack) and best[0] < ll - slack * max(1.0, abs(ll))):
            return None
        _, limit, result = best
        boundary = {"kind": limit.kind, "reason": limit.reason, "runaway": list(runaway), "log_likelihood_interior": float(ll)}
        return dataclasses.replace(result, model=type(self).__name__, extra={**result.extra, "boundary": boundary})

    @property
    def boundary_(self) -> dict[str, Any] | None:
        """Which limit model the fit returned, and why; ``None`` for an interior fit (see the class Attributes)."""
        self._check_fitted()
        boundary = self.result_.extra.get("boundary")
        return dict(boundary) if boundary else None

    def _limit(self) -> Limit | None:
        """The :class:`Limit` this fitted model is, or ``None``."""
        boundary = self.boundary_
        if boundary is None:
            return None
        for limit in self._limits:
            if limit.kind == boundary["kind"]:
                return limit
        raise ValueError(f"{type(self).__name__}: unknown limit {boundary['kind']!r} in the saved model")

    def summary(self, level: float = 0.95) -> pd.DataFrame:
        """Estimate, standard error and ``level`` interval of each parameter (see :meth:`FitResult.summary`).

        Parameters
        ----------
        level : float
            Coverage of the intervals ``exp(log theta +/- z se_log)``.

        Returns
        -------
        pandas.DataFrame
            One row per parameter: ``estimate, std_err`` and the two interval
            bounds. ``attrs`` holds the log-likelihood, AIC, BIC, number of
            customers and convergence information.

        Examples
        --------
        >>> import clv
        >>> rfm = clv.rfm_summary(clv.datasets.load_cdnow(), observation_end="1997-09-30")
        >>> clv.BetaGeo().fit(rfm).summary().round(3)
                 estimate  std_err  lower 95%  upper 95%
        BetaGeo
        r           0.243    0.013      0.219      0.268
        alpha       4.414    0.378      3.731      5.221
        a           0.793    0.186      0.501      1.255
        b           2.426    0.705      1.372      4.289
        """
        self._check_fitted()
        return self.result_.summary(level)

    # -- persistence -------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description: model name, settings and the fit result."""
        self._check_fitted()
        out = {
            "clv_format": FORMAT_VERSION,
            "model": type(self).__name__,
            "settings": self.get_params(),
            "result": self.result_.to_dict(),
            "time_unit": getattr(self, "time_unit_", None),
        }
        if getattr(self, "links_", None) is not None:
            out["covariates"] = self.links_.to_dict()  # type: ignore[union-attr]
        return out

    def save(self, path: str | Path) -> Path:
        """Write the fitted model to ``path`` as JSON (never pickle); load with :func:`clv.load_model`.

        The file holds the class name, the settings, the estimates and their
        covariance; it is written to a temporary name and then renamed, so a
        reader never sees half a file.

        Parameters
        ----------
        path : str or pathlib.Path
            Destination file (overwritten).

        Returns
        -------
        pathlib.Path
            ``path``.

        Examples
        --------
        >>> import json, tempfile, pathlib, clv
        >>> rfm = clv.rfm_summary(clv.datasets.load_cdnow(), observation_end="1997-09-30")
        >>> gg = clv.GammaGamma().fit(rfm)
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     path = gg.save(pathlib.Path(folder) / "gg.json")
        ...     saved = json.loads(path.read_text())
        >>> sorted(saved), saved["model"], saved["time_unit"]
        (['clv_format', 'model', 'result', 'settings', 'time_unit'], 'GammaGamma', 'W')
        """
        return write_text_atomic(path, json.dumps(self.to_dict(), indent=2, allow_nan=True))

    def with_params(self, values: Any) -> MLEModel:
        """Copy of this fitted model with its estimates replaced by ``values`` (order of ``param_names``).

        Used to propagate parameter uncertainty: evaluate predictions at draws
        from :meth:`FitResult.sample_params`. Settings, covariance and fit
        statistics are kept; like :meth:`from_params` it is built by
        :meth:`from_dict`, the one constructor of a model at given parameters.
        """
        data = self.to_dict()  # settings, result, the covariate encoding and the time unit
        data["result"]["estimates"] = [float(v) for v in np.asarray(values, dtype=float)]
        return type(self).from_dict(data)

    # -- what the predictions need (clv.models.customer_predictions) ------------------
    def _prediction_kernel(self) -> Any:
        """The kernel predictions come from: the model's own, or its limit's when the fit is at a boundary."""
        limit = self._limit()
        return self._kernel if limit is None else LimitPredictions(type(self).__name__, limit)

    def _customer_params(self, rfm: pd.DataFrame) -> list[Any]:
        """The parameters of each customer of ``rfm``: floats without covariates, per-customer arrays where covariates act."""
        Z = self._design_matrix(rfm)
        if Z is None:
            return list(self._values())
        return self.links_.row_params(self.result_.estimates, Z)  # type: ignore[union-attr]

    def _profiles(self, rfm: pd.DataFrame) -> np.ndarray | None:
        """The covariate design: customers with equal covariates have equal parameters (``None`` without covariates)."""
        return self._design_matrix(rfm)

    def _profile_design(self, covariates: Any) -> np.ndarray:
        """The design row ``(1, Q)`` of one covariate profile (a mapping column -> value, or a one-row DataFrame)."""
        profile = covariates if isinstance(covariates, pd.DataFrame) else pd.DataFrame([dict(covariates or {})])
        if len(profile) != 1:
            raise DataError(f"covariates: expected one profile (one row), got {len(profile)} rows")
        return self.links_.design(profile)  # type: ignore[union-attr]

    def _profile_params(self, covariates: Any) -> list[float]:
        """The parameters of one covariate profile (a mapping column -> value, or a one-row DataFrame)."""
        links = getattr(self, "links_", None)
        if links is None:
            return list(self._values())
        rows = links.row_params(self.result_.estimates, self._profile_design(covariates))
        return [float(np.asarray(v).reshape(-1)[0]) for v in rows]

    def for_profile(self, covariates: Any) -> MLEModel:
        """The model of one covariate profile: a model without covariates at that profile's parameters.

        Everything written for models without covariates (new-customer value,
        payback, :func:`clv.max_cac`, the expected-purchases curve) then
        applies to customers with that profile. The copy carries the
        covariance of the profile's log-parameters, ``A cov A'`` with ``log
        theta_p = A u`` linear in the fitted coordinates ``u = (log theta, g)``
        (Fader & Hardie 2007's links), so its standard errors and the
        bootstrap intervals of :func:`clv.new_customer_value`,
        :func:`clv.max_cac` and the payback figures work as for a model
        without covariates.

        Parameters
        ----------
        covariates : mapping or pandas.DataFrame
            One value per covariate column, e.g. ``{"region": "north", "first_order": 40.0}``,
            or a one-row frame.

        Returns
        -------
        MLEModel
            Same class, no covariates, parameters ``theta_j exp(sign g . z)``.

        Examples
        --------
        >>> import pandas as pd, clv
        >>> rfm = clv.rfm_summary(clv.datasets.load_cdnow(), observation_end="1997-09-30")
        >>> rfm["big"] = (rfm["monetary_value"] > 30).astype(int)
        >>> bg = clv.BetaGeo(purchase_covariates=["big"]).fit(rfm)
        >>> north = bg.for_profile({"big": 1})
        >>> round(north.expected_purchases_new(52), 4) == round(bg.expected_purchases_new(52, covariates={"big": 1}), 4)
        True
        """
        self._check_fitted()
        settings = {k: v for k, v in self.get_params().items() if not k.endswith("_covariates") and k != "dropout_form"}
        model = type(self).from_params(dict(zip(self.param_names, self._profile_params(covariates))), **settings)
        links = getattr(self, "links_", None)
        if links is not None and self.boundary_ is None:
            cov = links.profile_covariance(self.result_.cov_log, self._profile_design(covariates))
            model.result_ = dataclasses.replace(model.result_, cov_log=cov)
        model.time_unit_ = getattr(self, "time_unit_", None)
        return model

    def in_time_unit(self, time_unit: str) -> MLEModel:
        """This model with its rates expressed per ``time_unit`` instead of per ``time_unit_``.

        A unit ``c`` times as long multiplies every purchase rate by ``c``:
        the gamma scale parameters measured in time units (``alpha`` of
        BG/NBD and MBG/NBD, ``alpha`` and ``beta`` of Pareto/NBD) are divided
        by ``c``; the other parameters, and the covariance of the
        log-parameters, are unchanged (the maximum-likelihood fit on the RFM
        frame summarised in ``time_unit`` gives the same model). Gamma-Gamma
        has no time parameter. A model whose unit is not recorded
        (``time_unit_`` is ``None``) is returned as it is.

        Parameters
        ----------
        time_unit : {"W", "D", "M"}
            The unit wanted.

        Returns
        -------
        MLEModel
            ``self`` when nothing changes (same unit, unknown unit, or a
            model without time parameters), else a converted copy whose
            ``time_unit_`` is ``time_unit``.

        Examples
        --------
        >>> import clv
        >>> rfm = clv.rfm_summary(clv.datasets.load_cdnow(), observation_end="1997-09-30")
        >>> bg = clv.BetaGeo().fit(rfm)
        >>> monthly = bg.in_time_unit("M")
        >>> monthly.time_unit_, round(float(monthly.params_["alpha"]) * 30.4375 / 7, 4) == round(float(bg.params_["alpha"]), 4)
        ('M', True)
        """
        self._check_fitted()
        time_unit_days(time_unit)
        current = getattr(self, "time_unit_", None)
        if current is None or current == time_unit:
            return self
        if not self._time_params:
            return self
        factor = time_unit_days(current) / time_unit_days(time_unit)
        # A limit model has its own parameters (result_.param_names): a rate per time unit ("lam") scales inversely;
        # covariate coefficients carry no unit.
        scale = {**{p: factor for p in self._time_params}, "lam": 1.0 / factor}
        model = self.with_params([v * scale.get(p, 1.0) for p, v in zip(self.result_.param_names, self._values())])
        model.time_unit_ = time_unit
        return model

    @classmethod
    def from_params(cls, params: Mapping[str, float], *, time_unit: str | None = None, **settings: Any) -> MLEModel:
        """A model with known parameters (e.g. published estimates or a posterior draw) and no fit behind it.

        Predictions work; standard errors, intervals and the log-likelihood
        are not available (NaN). ``time_unit`` records the unit the rates are
        measured in (see :meth:`in_time_unit`); ``None`` leaves it unknown.

        Examples
        --------
        >>> import clv
        >>> bg = clv.BetaGeo.from_params({"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
        >>> round(bg.expected_purchases_new(78), 4)
        1.8605
        """
        missing = [p for p in cls.param_names if p not in params]
        if missing:
            raise ValueError(f"{cls.__name__}.from_params: missing {missing}")
        k = len(cls.param_names)
        result = FitResult(
            model=cls.__name__, param_names=cls.param_names,
            estimates=np.array([float(params[p]) for p in cls.param_names]), cov_log=np.full((k, k), np.nan),
            log_likelihood=float("nan"), n_obs=float("nan"), n_unique=0, converged=False, iterations=0,
            message="parameters given, not fitted",
        )
        if time_unit is not None:
            time_unit_days(time_unit)
        return cls.from_dict({"settings": {**cls().get_params(), **settings}, "result": result.to_dict(), "time_unit": time_unit})

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MLEModel:
        """The model described by ``data`` (``settings`` and ``result``, as in :meth:`to_dict`); the inverse of :meth:`to_dict`.

        Examples
        --------
        >>> import clv
        >>> bg = clv.BetaGeo.from_params({"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
        >>> clv.BetaGeo.from_dict(bg.to_dict())
        BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426)
        """
        return cls._from_dict(data)

    @classmethod
    def _from_dict(cls, data: dict[str, Any]) -> MLEModel:
        model = cls(**data["settings"])
        model._restore_covariates(data.get("covariates"))
        unit = data.get("time_unit")
        if unit is not None and unit not in ("W", "D", "M"):
            raise DataError(f"model file: unknown time_unit {unit!r}")
        model.time_unit_ = unit
        model.result_ = FitResult.from_dict(data["result"])
        model.params_ = model.result_.params
        model.log_likelihood_ = model.result_.log_likelihood
        model.n_obs_ = model.result_.n_obs
        return model


class _LimitModel(MLEModel):
    """A :class:`Limit` fitted as a model of its own, on the parent model's prepared data."""

    def __init__(self, limit: Limit, start: np.ndarray, *, max_iter: int = 2000, tol: float = 1e-9) -> None:
        super().__init__(initial_params=dict(zip(limit.param_names, start)), max_iter=max_iter, tol=tol)
        self.limit = limit
        self.param_names = limit.param_names  # type: ignore[misc]

    def _loglik(self, params: np.ndarray, data: dict[str, Any]) -> float:
        return float(self.limit.loglik(params, data))

"""The optimiser behind every maximum-likelihood model: coordinates, objective, gradients, Newton polish, information.

:class:`LikelihoodOptimiser` is a mixin of :class:`clv.models.base.MLEModel`:
it maximises the log-likelihood a model declares (``_loglik``, optionally
``_loglik_grad`` and ``_loglik_hessian``) over ``u = (log theta, g)`` (the
model parameters on the log scale, then any covariate coefficients), polishes
the optimum with Newton steps, and turns the observed information into the
covariance of a :class:`clv.FitResult`. An optimum at the edge of the parameter
space raises :class:`EdgeOfParameterSpace`, which the base class answers with
its limit models.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import optimize

from clv.errors import ConvergenceError
from clv.models.results import FitResult

__all__ = ["EdgeOfParameterSpace", "LikelihoodOptimiser"]

_LOG_BOUND = 25.0  # box for the optimiser on log-parameters
_RUNAWAY = 15.0  # |log theta| beyond this (3e-7 or 3e6) means the estimate ran off to 0 or infinity
_SE_LOG_MAX = 10.0  # a larger standard error of a log-parameter means the parameter is not identified
_FAR = 10.0  # |log theta| beyond this (5e-5 or 2e4) is far out towards the edge
_STALL_EVALS = 20  # evaluations over which a far-out fit must gain ...
_STALL_GAIN = 1e-2  # ... at least this much total log-likelihood, or it is creeping along a ridge to the edge


class _Stalled(Exception):
    """Raised inside L-BFGS-B to end a search creeping towards the edge (see ``LikelihoodOptimiser._minimise``)."""


class EdgeOfParameterSpace(ConvergenceError):
    """The optimum ran off to the edge of the parameter space (parameters ``names``; log-likelihood there ``ll``)."""

    def __init__(self, message: str, names: list[str], ll: float, extent: float = 0.0) -> None:
        super().__init__(message)
        self.names = names
        self.ll = ll
        self.extent = extent  # largest |log parameter| where the optimiser stopped


def _rounding(f: float) -> float:
    """Rounding level of a mean objective ``f`` summed over many rows: steps may raise it this much when the gradient shrinks."""
    return 1e-13 * max(1.0, abs(f))


class LikelihoodOptimiser:
    """Maximum likelihood over log-parameters (and covariate coefficients): the methods :class:`MLEModel` fits with."""

    # -- coordinates ---------------------------------------------------------------
    # The optimiser works in u = (log theta, g): the model parameters on the log scale, then the
    # covariate coefficients (if any) as they are.
    def _names(self) -> tuple[str, ...]:
        """All estimated quantities: ``param_names`` then the covariate coefficients."""
        return tuple(self.param_names) + tuple(getattr(self, "coef_names_", ()))

    def _natural(self, u: np.ndarray) -> np.ndarray:
        k = len(self.param_names)
        return np.exp(u) if len(u) == k else np.concatenate([np.exp(u[:k]), u[k:]])

    def _jacobian(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """First and second derivatives of the natural values in ``u``, element by element."""
        k = len(self.param_names)
        if len(theta) == k:
            return theta, theta
        return np.concatenate([theta[:k], np.ones(len(theta) - k)]), np.concatenate([theta[:k], np.zeros(len(theta) - k)])

    def _u_derivatives(self, u: np.ndarray, data: dict[str, Any], hessian: bool = False) -> tuple[float, np.ndarray, np.ndarray | None] | None:
        """Total log-likelihood with its gradient (and Hessian) in ``u``; ``None`` without analytic derivatives."""
        theta = self._natural(u)
        if "Z" in data:
            return self._covariate_derivatives(theta, data, hessian)
        jac, curv = self._jacobian(theta)
        if hessian:
            analytic = self._loglik_hessian(theta, data)
            if analytic is None:
                return None
            ll, grad, hess_nat = analytic
            return ll, grad * jac, np.outer(jac, jac) * hess_nat + np.diag(curv * grad)
        analytic_grad = self._loglik_grad(theta, data)
        if analytic_grad is None:
            return None
        return analytic_grad[0], analytic_grad[1] * jac, None

    def _penalty_gradient(self, u: np.ndarray) -> np.ndarray:
        """Gradient in ``u`` of ``sum(theta**2)``, halved."""
        k = len(self.param_names)
        return np.exp(2 * u) if len(u) == k else np.concatenate([np.exp(2 * u[:k]), u[k:]])

    def _penalty_curvature(self, u: np.ndarray) -> np.ndarray:
        """Diagonal of the Hessian in ``u`` of ``sum(theta**2)``, halved (``2 theta**2`` on the log scale, 1 for coefficients)."""
        k = len(self.param_names)
        return np.concatenate([2 * np.exp(2 * u[:k]), np.ones(len(u) - k)])

    def _objective(self, log_params: np.ndarray, data: dict[str, Any]) -> tuple[float, np.ndarray]:
        """Mean negative log-likelihood (plus penalty) and gradient in ``u`` (log-parameters, then coefficients)."""
        params = self._natural(log_params)
        n = data["n_obs"]
        analytic = self._u_derivatives(log_params, data)
        if analytic is not None:
            ll, g_log, _ = analytic
        else:
            ll = self._loglik(params, data)
            g_log = self._numeric_gradient(log_params, data)
        value = -ll / n + self.penalizer * float(params @ params)
        gradient = -g_log / n + 2 * self.penalizer * (params * params if len(params) == len(self.param_names) else self._penalty_gradient(log_params))
        if not np.isfinite(value):
            return 1e100, np.zeros_like(log_params)
        return value, gradient

    def _log_ll(self, log_params: np.ndarray, data: dict[str, Any]) -> float:
        return self._loglik(self._natural(log_params), data)

    def _numeric_gradient(self, log_params: np.ndarray, data: dict[str, Any], h: float = 1e-6) -> np.ndarray:
        grad = np.empty_like(log_params)
        for i in range(len(log_params)):
            step = np.zeros_like(log_params)
            step[i] = h
            grad[i] = (self._log_ll(log_params + step, data) - self._log_ll(log_params - step, data)) / (2 * h)
        return grad

    def _log_gradient(self, log_params: np.ndarray, data: dict[str, Any]) -> np.ndarray:
        """Gradient of the total log-likelihood in ``u``."""
        analytic = self._u_derivatives(log_params, data)
        if analytic is not None:
            return analytic[1]
        return self._numeric_gradient(log_params, data)

    def _hessian(self, log_params: np.ndarray, data: dict[str, Any]) -> np.ndarray:
        """Hessian of the total log-likelihood in ``u``: analytic, else central differences of the gradient."""
        analytic = self._u_derivatives(log_params, data, hessian=True)
        if analytic is not None:
            return analytic[2]  # type: ignore[return-value]
        k = len(log_params)
        h = 1e-4
        hess = np.empty((k, k))
        for i in range(k):
            step = np.zeros(k)
            step[i] = h
            hess[i] = (self._log_gradient(log_params + step, data) - self._log_gradient(log_params - step, data)) / (2 * h)
        return (hess + hess.T) / 2

    def _start(self) -> np.ndarray:
        if self.initial_params:
            missing = [p for p in self.param_names if p not in self.initial_params]
            if missing:
                raise ValueError(f"initial_params lacks {missing}")
            start = np.log([float(self.initial_params[p]) for p in self.param_names])
        else:
            start = np.log(np.asarray(self._default_start, dtype=float))
        coefs = self._names()[len(self.param_names):]
        if coefs:
            given = self.initial_params or {}
            scale = getattr(self, "_coef_scale", None)  # the optimiser's coefficients are per standard deviation
            scale = np.ones(len(coefs)) if scale is None else scale
            return np.concatenate([start, [float(given.get(name, 0.0)) * f for name, f in zip(coefs, scale)]])
        return start

    def _polish(self, log_params: np.ndarray, hess: np.ndarray, data: dict[str, Any]) -> np.ndarray:
        """Newton steps with a fixed Hessian, from where L-BFGS-B stopped.

        L-BFGS-B often stops on its relative-reduction test a little short of
        the optimum; a few steps with the observed information (computed once)
        reach it to full precision. A step is kept only if it does not worsen
        the objective.
        """
        n, pen = data["n_obs"], self.penalizer
        hess = hess - 2 * pen * n * np.diag(self._penalty_curvature(log_params))
        if not np.all(np.isfinite(hess)):
            return log_params
        current, g_obj = self._objective(log_params, data)
        for _ in range(6):
            grad = self._log_gradient(log_params, data) - 2 * pen * n * self._penalty_gradient(log_params)
            try:
                step = np.linalg.solve(hess, grad)
            except np.linalg.LinAlgError:
                break
            trial = log_params - step
            if not np.all(np.isfinite(trial)):
                break
            value, g_trial = self._objective(trial, data)
            # Near the optimum the objective is flat to rounding, so a step is also kept when it
            # shrinks the gradient without worsening the objective beyond rounding.
            if value > current + _rounding(current) or (value > current and np.abs(g_trial).max() >= np.abs(g_obj).max()):
                break
            log_params, current, g_obj = trial, value, g_trial
            if np.max(np.abs(step)) < 1e-12:
                break
        return log_params

    def _newton(self, start: np.ndarray, data: dict[str, Any]) -> tuple[np.ndarray, int, bool, np.ndarray]:
        """Damped Newton iterations on the penalised mean objective, using the analytic Hessian.

        The Hessian is made positive definite by flooring its eigenvalues, and
        each step is shortened until it satisfies the Armijo condition.
        Returns the end point, the iteration count, whether the gradient
        fell below ``tol``, and the Hessian of the total log-likelihood at the
        end point (the observed information, so it need not be computed again).
        """
        n, pen = data["n_obs"], self.penalizer

        def evaluate(log_params: np.ndarray) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
            theta = self._natural(log_params)
            ll, g, h = self._u_derivatives(log_params, data, hessian=True)  # type: ignore[misc]
            value = -ll / n + pen * float(theta @ theta)
            grad = -g / n + 2 * pen * self._penalty_gradient(log_params)
            hess = -h / n + np.diag(2 * pen * self._penalty_curvature(log_params))
            return value, grad, hess, h

        x = start
        f, g, h, h_ll = evaluate(x)
        for it in range(1, 101):
            if not (np.isfinite(f) and np.all(np.isfinite(g)) and np.all(np.isfinite(h))):
                return x, it, False, h_ll
            vals, vecs = np.linalg.eigh(h)
            vals = np.maximum(vals, 1e-8 * max(1.0, float(np.abs(vals).max())))
            step = vecs @ ((vecs.T @ g) / vals)
            step *= min(1.0, 2.0 / max(float(np.abs(step).max()), 1e-300))  # at most a factor e^2 per step
            t = 1.0
            # Near the optimum the decrease a step promises (~ g H^-1 g / 2) falls below the rounding of the objective, a sum
            # over every row: with millions of rows Armijo's test then fails by an ulp at every length, and the search
            # crept for 100 iterations (the 100M-transaction BG/NBD fit, issue 16). So a step is also kept when the
            # objective stays within rounding and the gradient at least halves (in practice only a full Newton step does).
            while True:
                trial = np.clip(x - t * step, -_LOG_BOUND, _LOG_BOUND)
                f_new, g_new, h_new, h_ll_new = evaluate(trial)
                if np.isfinite(f_new) and (f_new <= f - 1e-4 * t * float(g @ step)
                                           or (f_new <= f + _rounding(f) and np.abs(g_new).max() < 0.5 * np.abs(g).max())):
                    break
                t /= 4
                if t < 1e-10:
                    return x, it, bool(np.abs(g).max() < self.tol), h_ll
            x, f, g, h, h_ll = trial, f_new, g_new, h_new, h_ll_new
            if np.abs(g).max() < self.tol:
                return x, it, True, h_ll
        return x, 100, False, h_ll

    def _chord(self, start: np.ndarray, data: dict[str, Any], hess: np.ndarray) -> tuple[np.ndarray, int, bool, np.ndarray]:
        """Newton steps from a warm start with a Hessian held fixed, refreshed once near the optimum.

        For models whose Hessian costs many gradients (differences), a full
        Newton iteration is dear, but a Hessian from a subsample (scaled to the
        full data) is close to the full one, so steps with it converge fast
        (linearly, at the rate of its relative error). Once the mean gradient
        is below ``1e-6`` the Hessian is computed on the full data at that
        point; the following steps converge quadratically, and that Hessian is
        returned for the covariance (it is taken within about ``1e-6`` of the
        optimum in ``u``). Each step is shortened until the objective falls.
        Returns the end point, the step count, whether the gradient fell below
        ``tol``, and the Hessian of the total log-likelihood.
        """
        n, pen = data["n_obs"], self.penalizer
        x = start
        f, g = self._objective(x, data)
        refreshed = False
        for it in range(1, 41):
            if not refreshed and np.abs(g).max() < 1e-6:
                hess, refreshed = self._hessian(x, data), True
            if np.abs(g).max() < self.tol:
                return x, it - 1, refreshed, hess
            h_obj = -hess / n + np.diag(2 * pen * self._penalty_curvature(x))
            try:
                np.linalg.cholesky(h_obj)
                step = np.linalg.solve(h_obj, g)
            except np.linalg.LinAlgError:
                break
            t = 1.0
            while t > 1e-6:
                trial = x - t * step
                f_new, g_new = self._objective(trial, data)
                if np.isfinite(f_new) and f_new <= f + _rounding(f) and np.abs(g_new).max() < max(np.abs(g).max(), 1e-7):
                    break
                t /= 4
            else:
                break
            x, f, g = trial, f_new, g_new
        return x, it, False, hess

    def _warm_start(self, data: dict[str, Any]) -> np.ndarray | None:
        """Starting log-parameters near the optimum (e.g. from a subsample fit), or ``None``."""
        return None

    def _minimise(self, start: np.ndarray, data: dict[str, Any], gtol: float | None = None) -> optimize.OptimizeResult:
        """L-BFGS-B on the mean objective; ``res.edge`` says the search was stopped creeping towards the edge.

        When the likelihood keeps rising towards a limit of the parameter
        space (Pareto/NBD with ``s, beta -> inf`` at fixed ``s / beta``: one
        dropout rate for all), L-BFGS-B creeps along a ridge that is flat to
        rounding, where its line searches fail again and again and each
        evaluation further out costs more (the hypergeometric series needs
        about ``1 / (1 - z)`` terms): fits of a few dozen customers ran for
        minutes. So once a log-parameter is beyond ``_FAR``, a run of
        ``_STALL_EVALS`` evaluations that gains less than ``_STALL_GAIN`` in
        total log-likelihood ends the search, and :meth:`_optimise` reports
        the edge. The gain is in log-likelihood units, so the rule does not
        depend on the sample size: a gain of 0.01 changes no likelihood-ratio
        test or information criterion. ``gtol`` replaces ``tol`` (a warm
        start on a subsample needs no more than the subsample's own noise).
        """
        k, n = len(self.param_names), data["n_obs"]
        trail: list[float] = []  # best objective after each evaluation
        best: list[np.ndarray] = [start]

        def objective(u: np.ndarray, data: dict[str, Any]) -> tuple[float, np.ndarray]:
            value, grad = self._objective(u, data)
            if not trail or value < trail[-1]:
                best[0] = u.copy()
            trail.append(min(value, trail[-1]) if trail else value)
            if (len(trail) > _STALL_EVALS and np.abs(u[:k]).max() > _FAR
                    and (trail[-_STALL_EVALS - 1] - trail[-1]) * n < _STALL_GAIN):
                raise _Stalled
            return value, grad

        try:
            res = optimize.minimize(
                objective,
                start,
                args=(data,),
                jac=True,
                method="L-BFGS-B",
                bounds=[(-_LOG_BOUND, _LOG_BOUND)] * len(start),
                options={"maxiter": self.max_iter, "gtol": self.tol if gtol is None else gtol, "ftol": 1e-15, "maxcor": 20},
            )
            res.edge = False
        except _Stalled:
            res = optimize.OptimizeResult(x=best[0], fun=trail[-1], nit=len(trail), success=False, edge=True,
                                          message=f"no gain in {_STALL_EVALS} evaluations far out")
        return res

    def _raise_edge(self, log_params: np.ndarray, data: dict[str, Any], advice: str, how: str) -> None:
        """Raise :class:`EdgeOfParameterSpace` for the parameters beyond ``_FAR`` (``_RUNAWAY`` after a run-off)."""
        names = self._names()
        limit = _RUNAWAY if how == "ran off to" else _FAR
        runaway = [p for p, v in zip(names, log_params) if abs(v) > limit]
        values = dict(zip(names, self._natural(log_params).tolist()))
        raise EdgeOfParameterSpace(
            f"{type(self).__name__}: parameter(s) {runaway} {how} the edge ({values}); "
            f"the data cannot identify them; {advice}",
            runaway, float(self._loglik(self._natural(log_params), data)), float(np.abs(log_params[: len(self.param_names)]).max()),
        )

    def _optimise(self, data: dict[str, Any]) -> FitResult:
        name = type(self).__name__
        advice = (
            "check that the RFM frame uses the intended time unit and observation end, "
            "try penalizer=0.001, or pass initial_params near a plausible answer"
        )
        # Newton's method is quick from near the optimum but can wander from a poor start,
        # so it is used only after a warm start; otherwise L-BFGS-B leads and Newton polishes.
        # A warm start pays only when Newton's method follows; L-BFGS-B gains little from a better start.
        # Where a Hessian is dear (Pareto/NBD: by differences; covariate models: per row) the warm start also brings the
        # subsample's Hessian, and Newton steps with it held fixed (_chord) replace most full-data Hessians or L-BFGS-B's
        # many gradient evaluations.
        warm = self._warm_start(data) if self._analytic_hessian or self._analytic_gradient else None
        start = self._start() if warm is None else warm
        res = None
        converged = reuse = False
        if warm is not None and "warm_hessian" in data and np.abs(warm[: len(self.param_names)]).max() < _FAR:
            log_params, iterations, converged, hess = self._chord(start, data, data["warm_hessian"])
            reuse = converged
        elif self._analytic_hessian and warm is not None:
            log_params, iterations, converged, hess = self._newton(start, data)
            reuse = converged  # the Hessian of Newton's last step is the observed information at the end point
        if not converged:
            res = self._minimise(start, data)
            log_params, iterations, converged = res.x, int(res.nit), bool(res.success)
            if res.edge:
                far_out = np.any(np.abs(log_params) > _RUNAWAY)
                self._raise_edge(log_params, data, advice, "ran off to" if far_out else "stopped creeping towards")
            if self._analytic_gradient:
                hess = self._hessian(log_params, data)
                polished = self._polish(log_params, hess, data)
                # A Hessian by differences costs two gradients per parameter: keep it when the polish barely moved.
                reuse = not self._analytic_hessian and np.abs(polished - log_params).max() < 1e-6
                log_params = polished
        if not reuse:
            hess = self._hessian(log_params, data)
        names = self._names()
        ll = self._loglik(self._natural(log_params), data)
        if not np.isfinite(ll):
            raise ConvergenceError(f"{name}: log-likelihood is not finite at the optimum; {advice}")
        if np.any(np.abs(log_params) > _RUNAWAY):
            self._raise_edge(log_params, data, advice, "ran off to")
        # The gradient at the end point is known to be below tol when converged (one evaluation saved).
        grad_mean = np.zeros(1) if converged else np.abs(self._objective(log_params, data)[1])
        if not converged and grad_mean.max() > 1e-4:
            message = res.message if res is not None else "Newton iterations stalled"
            raise ConvergenceError(f"{name} did not converge ({message}); {advice}")
        info = -hess
        try:
            # The information must be positive definite (Cholesky); an inverse with a non-negative diagonal is not
            # enough: draws from an indefinite "covariance" run off to infinity.
            np.linalg.cholesky(info)
            cov = np.linalg.inv(info)
            # A log-parameter standard error above 10 (an interval spanning a factor e^40) means the data do not
            # identify that parameter (the likelihood is flat along it): no usable standard errors either.
            if np.any(np.diag(cov) < 0) or np.any(np.diag(cov) > _SE_LOG_MAX**2) or not np.all(np.isfinite(cov)):
                raise np.linalg.LinAlgError
        except np.linalg.LinAlgError:
            cov = np.full_like(info, np.nan)  # the caller warns, unless a limit model replaces this fit
        return FitResult(
            model=name,
            param_names=names,
            estimates=self._natural(log_params),
            cov_log=cov,
            log_likelihood=float(ll),
            n_obs=float(data["n_obs"]),
            n_unique=int(data["n_unique"]),
            converged=True,
            iterations=int(iterations),
            message="converged" if converged else f"stopped with max |gradient| {grad_mean.max():.2e}",
            extra=dict(data.get("extra", {})),
            linear=names[len(self.param_names):],
        )

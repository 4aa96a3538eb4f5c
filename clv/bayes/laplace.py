"""Laplace approximation of a PyMC model's unconstrained log density, and NUTS started from it.

:func:`laplace_nuts` finds the mode with L-BFGS (:func:`minimum`), takes the
Hessian there by central differences of the analytic gradient
(:func:`gradient_differences`) and returns a NUTS step whose mass matrix starts
at the resulting covariance, with one start per chain drawn from that normal
approximation. The same helpers give each group's own mode and sd in
:mod:`clv.bayes.centring`.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence

import numpy as np

__all__ = ["covariance", "gradient_differences", "laplace_nuts", "minimum", "negated"]


def negated(logp_grad: Callable[[np.ndarray], tuple[float, np.ndarray]]) -> Callable[[np.ndarray], tuple[float, np.ndarray]]:
    """Objective for minimisation: minus a log density and its gradient (non-finite points: ``1e300``, zero gradient)."""

    def objective(x: np.ndarray) -> tuple[float, np.ndarray]:
        logp, grad = logp_grad(x)
        if not np.isfinite(logp):
            return 1e300, np.zeros_like(x)
        return -float(logp), -np.asarray(grad, dtype=float)

    return objective


def minimum(objective: Callable[[np.ndarray], tuple[float, np.ndarray]], start: np.ndarray, maxiter: int) -> np.ndarray:
    """Minimiser of ``objective`` (value and gradient) by L-BFGS from ``start``."""
    from scipy import optimize

    return optimize.minimize(objective, start, jac=True, method="L-BFGS-B", options={"maxiter": maxiter}).x


def gradient_differences(
    objective: Callable[[np.ndarray], tuple[float, np.ndarray]], x: np.ndarray, steps: np.ndarray, h: float = 1e-5
) -> np.ndarray:
    """Central differences of the objective's gradient at ``x`` along each row of ``steps``, one row per step."""
    return np.array([(objective(x + h * step)[1] - objective(x - h * step)[1]) / (2 * h) for step in steps])


def covariance(hess: np.ndarray) -> np.ndarray | None:
    """Inverse of the symmetrised ``hess`` when it is finite and positive definite, else ``None``."""
    hess = (hess + hess.T) / 2
    try:
        cov = np.linalg.inv(hess)
    except np.linalg.LinAlgError:
        return None
    if not np.all(np.isfinite(cov)) or np.min(np.linalg.eigvalsh(cov)) <= 0:
        return None
    return cov


def laplace_nuts(
    model: Any, chains: int, seed: int, target_accept: float, dense: bool, fixed: Sequence[str] = ()
) -> tuple[Any, list[dict[str, np.ndarray]]]:
    """NUTS step with an adaptive mass matrix started at the Laplace approximation, and one start per chain.

    ``dense`` adapts a full mass matrix (suits the near-Gaussian plain model,
    absorbing the strong ``(r, alpha)`` correlation), otherwise a diagonal one
    (PyMC's experimental dense adaptation proved unstable on the hierarchical
    models, with divergences).

    The mode of the unconstrained log density is found with L-BFGS; the
    Hessian there comes from central differences of the analytic gradient.
    Chain starts are draws from the resulting normal (overdispersed enough for
    R-hat, and already in the typical set).

    A hierarchical density has no mode: as a group spread goes to zero the
    centred group values collapse onto the population mean and the density
    grows without bound. The value variables named in ``fixed`` (the log
    spreads) are therefore held at ``log(0.5)`` during the search, which gives
    the conditional mode of everything else (each group near its own data);
    their starting variance is set to ``0.25`` and the sampler adapts from
    there.
    """
    import pymc as pm
    from pymc.blocking import DictToArrayBijection, RaveledVars
    from pymc.step_methods.hmc.quadpotential import QuadPotentialDiagAdapt, QuadPotentialFullAdapt

    fn = model.logp_dlogp_function(ravel_inputs=True)
    fn.set_extra_values({})
    start = model.initial_point(random_seed=seed)
    raveled = DictToArrayBijection.map({v.name: start[v.name] for v in model.value_vars})
    n = len(raveled.data)
    held = np.zeros(n, dtype=bool)
    offset = 0
    for name, _, size, _ in raveled.point_map_info:
        held[offset : offset + size] = name in fixed
        offset += size
    base = raveled.data.copy()
    base[held] = np.log(0.5)
    free = ~held

    objective = negated(fn)

    def reduced(y: np.ndarray) -> tuple[float, np.ndarray]:
        x = base.copy()
        x[free] = y
        value, grad = objective(x)
        return value, grad[free]

    mode = base.copy()
    mode[free] = minimum(reduced, base[free], maxiter=2000)
    hess = gradient_differences(objective, mode, np.eye(n)[free])[:, free]
    hess = (hess + hess.T) / 2
    cov_free = covariance(hess)
    if cov_free is None:
        cov_free = np.diag(1.0 / np.clip(np.diag(hess), 1e-8, None))
    cov = np.diag(np.full(n, 0.25))
    cov[np.ix_(free, free)] = cov_free
    rng = np.random.default_rng(seed)
    starts = rng.multivariate_normal(mode, cov, size=chains, method="eigh")
    initvals = []
    for x in starts:
        point = DictToArrayBijection.rmap(RaveledVars(x, raveled.point_map_info))
        initvals.append(_constrained(model, point))
    rng_potential = np.random.default_rng(seed + 1)
    if dense:
        potential = QuadPotentialFullAdapt(n, mode, cov, initial_weight=10, rng=rng_potential)
    else:
        potential = QuadPotentialDiagAdapt(n, mode, np.diag(cov).copy(), initial_weight=10, rng=rng_potential)
    # The NUTS step reuses the log density compiled above (compiling it again costs seconds per model).
    fn.trust_input = True
    step = pm.NUTS(vars=model.value_vars, potential=potential, target_accept=target_accept, model=model,
                   logp_dlogp_func=fn, initial_point=start)
    return step, initvals


def _constrained(model: Any, point: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Initial values keyed by random-variable name on the constrained scale (what ``initvals`` expects)."""
    out = {}
    for value_var in model.value_vars:
        rv = model.values_to_rvs[value_var]
        value = np.asarray(point[value_var.name])
        transform = model.rvs_to_transforms.get(rv)
        if transform is not None:
            value = np.asarray(transform.backward(value, *rv.owner.inputs).eval())
        out[rv.name] = value
    return out

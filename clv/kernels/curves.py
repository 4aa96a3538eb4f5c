"""The Gauss hypergeometric function along curves: many ``z`` sharing one ``(a, b, c)``.

Scoring a customer over weekly discounting periods evaluates
``2F1(a, b; c; z_k)`` at every period end ``z_k`` with the same ``a, b, c``
(they depend on the purchase count and the parameters only; see
:func:`clv.kernels.special.alive_expectation`). SciPy evaluates each value
from scratch (about 0.3 microseconds each). Summing the power series
(Abramowitz & Stegun 15.1.1)::

    2F1(a, b; c; z) = sum_n beta_n z^n,   beta_{n+1} = beta_n (a+n)(b+n) / ((c+n)(n+1)),  beta_0 = 1

for all ``z_k`` of a row at once shares each coefficient ``beta_n`` between
them, and the inner loop over ``k`` is plain multiply-adds that the compiler
vectorises. A row is summed until the rest, bounded by the geometric tail
``|beta_n| z_max^n / (1 - rho)`` with ``rho`` the larger of the current term
ratio at ``z_max`` and its limit ``z_max``, is below ``1e-17`` of the
smallest partial sum. Rows
whose series would need more than ``max_terms`` terms (``z`` close to 1),
or give a non-finite value, are reported so the caller can use SciPy for
them. The module imports Numba; :mod:`clv.kernels.special` imports it when
a curve is first evaluated. ``tests/models/test_curves.py`` checks the values against SciPy to 1e-12.
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np
from numpy.typing import NDArray

__all__ = ["alive_expectation_rows"]

_jit = numba.njit(cache=True, nogil=True)


@_jit
def _series(ai: float, bi: float, ci: float, z: Any, out: Any, power: Any, max_terms: int) -> bool:
    """Power series of ``2F1(ai, bi; ci; z_k) - 1`` into ``out`` for every ``z_k``; False when it did not converge.

    The leading 1 is left out so that ``F - 1``, which the callers need, keeps
    its relative precision when it is small (``a`` near 1, small ``z``).
    """
    m = len(z)
    z_max = 0.0
    for k in range(m):
        out[k] = 0.0
        power[k] = 1.0
        z_max = max(z_max, abs(z[k]))
    coef = 1.0
    bound = 1.0
    for j in range(max_terms):
        coef *= (ai + j) * (bi + j) / ((ci + j) * (j + 1.0))
        bound *= z_max
        for k in range(m):
            power[k] *= z[k]
            out[k] += coef * power[k]
        if coef == 0.0:  # ai or bi a non-positive integer: a polynomial
            break
        # The term ratio tends to z_max; bounding the later ratios by max(current, z_max) bounds the tail geometrically.
        rho = max(abs((ai + j + 1.0) * (bi + j + 1.0) / ((ci + j + 1.0) * (j + 2.0))) * z_max, z_max)
        if j >= 2 and rho < 1.0:
            smallest = np.inf
            for k in range(m):
                smallest = min(smallest, abs(out[k]))
            if abs(coef) * bound / (1.0 - rho) <= 1e-17 * smallest:  # relative to F - 1, hence to F
                break
    else:
        return False
    for k in range(m):
        if not np.isfinite(out[k]):
            return False
    return True


@_jit
def _alive_rows(r: Any, alpha: Any, am1: Any, c: Any, x: Any, T: Any, t: Any, max_terms: int) -> Any:
    """Per row ``i`` and time ``t_k``: :func:`clv.kernels.special.alive_expectation` with the 2F1 of :func:`_series` (same formulas)."""
    n, m = len(x), len(t)
    out = np.zeros((n, m))
    ok = np.zeros(n, dtype=np.bool_)
    z = np.empty(m)
    f = np.empty(m)  # 2F1 - 1
    power = np.empty(m)
    for i in range(n):
        u = alpha[i] + T[i]
        s = r[i] + x[i]
        original = am1[i] > s  # the transformed series diverges as z -> 1; the original one converges
        for k in range(m):
            z[k] = t[k] / (u + t[k])
        if original:
            ok[i] = _series(s, c[i] - am1[i], c[i], z, f, power, max_terms)
        else:
            ok[i] = _series(c[i] - s, am1[i], c[i], z, f, power, max_terms)
        log_u = np.log(u)
        for k in range(m):
            if t[k] <= 0:
                continue
            log1mz = log_u - np.log(u + t[k])
            if original:
                bracket = -np.expm1(s * log1mz + np.log1p(f[k]))
            else:
                e = am1[i] * log1mz
                bracket = -np.expm1(e) - np.exp(e) * f[k]
            out[i, k] = max(c[i] / am1[i] * bracket, 0.0)
    return out, ok


def alive_expectation_rows(r: NDArray[np.float64], alpha: NDArray[np.float64], am1: NDArray[np.float64], c: NDArray[np.float64],
                           x: NDArray[np.float64], T: NDArray[np.float64], t: NDArray[np.float64], *,
                           max_terms: int = 400) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """Expected purchases if alive at ``T`` by each of the times ``t`` (shape ``(m,)``), one row per customer (inputs of shape ``(n,)``).

    ``am1`` is ``a - 1``, already kept away from zero as
    :func:`clv.kernels.special.alive_expectation` does. Returns the ``(n, m)``
    values and ``ok`` per row; rows with ``ok`` False (series not converged
    within ``max_terms`` terms, or not finite) must be evaluated another way.
    """
    args = [np.ascontiguousarray(v, dtype=float) for v in (r, alpha, am1, c, x, T)]
    return _alive_rows(*args, np.ascontiguousarray(t, dtype=float), max_terms)  # type: ignore[no-any-return]

"""Time-invariant covariates: per-customer parameters and the chain rule (Fader & Hardie 2007).

A model parameter ``theta_j`` that carries covariates becomes, for customer ``i``::

    theta_ij = theta_j * exp(sign_j * g . z_i)

(Fader & Hardie 2007, "Incorporating time-invariant covariates into the
Pareto/NBD and BG/NBD models": ``alpha_i = alpha exp(-g z_i)`` and so on). The
optimiser works in ``u = (log theta, g)``, in which ``log theta_ij`` is linear::

    log theta_ij = (1, z_i) @ M_j @ u

with a fixed *link map* ``M`` of shape ``(k, Q + 1, P)`` (``k`` parameters,
``Q`` design columns, ``P`` optimiser coordinates). Given each customer's
log-likelihood derivatives in ``log theta_ij``, the totals follow as::

    grad_u = sum_j M_j' Z1' (w * G_j)
    hess_u = sum_jl M_j' Z1' diag(w * H_jl) Z1 M_l

with ``Z1 = (1, Z)``. The kernels of each model supply ``G`` and ``H`` per
customer (their ``row_derivatives``); this module does the rest once for all
models.
"""

from __future__ import annotations

from typing import Callable, Iterable

import numpy as np
from numpy.typing import NDArray

__all__ = ["chain_gradient", "chain_hessian", "link_map", "profile_hessian", "profile_totals", "row_params"]


def link_map(n_params: int, n_columns: int, n_coords: int, terms: Iterable[tuple[int, int, int, float]]) -> NDArray[np.float64]:
    """The link map ``M``: ``M[j, 0, j] = 1`` and ``M[j, 1 + c, p] = sign`` for each term ``(j, c, p, sign)``.

    A term says that design column ``c`` moves ``log theta_j`` through
    coefficient ``u[p]`` with ``sign`` (+1 or -1).
    """
    M = np.zeros((n_params, n_columns + 1, n_coords))
    M[np.arange(n_params), 0, np.arange(n_params)] = 1.0
    for j, c, p, sign in terms:
        M[j, 1 + c, p] = sign
    return M


def row_params(theta: NDArray[np.float64], M: NDArray[np.float64], Z: NDArray[np.float64]) -> NDArray[np.float64]:
    """``theta_ij = theta_j exp(sign_j g . z_i)`` for every row ``i`` and parameter ``j``, shape ``(n, k)``.

    ``theta`` holds the parameters then the coefficients, on their natural
    scales (the coefficients are their own coordinates, so ``M`` applies to
    them directly).
    """
    k = M.shape[0]
    coefs = np.einsum("jqp,p->jq", M[:, 1:, :], theta)
    rows = np.empty((len(Z), k))
    for j in range(k):
        rows[:, j] = theta[j] * np.exp(np.einsum("iq,q->i", Z, coefs[j])) if np.any(coefs[j]) else theta[j]
    return rows


def profile_totals(theta: NDArray[np.float64], grad: NDArray[np.float64], hess: NDArray[np.float64] | None, w: NDArray[np.float64],
                   profile: NDArray[np.intp], n_profiles: int) -> tuple[NDArray[np.float64], NDArray[np.float64] | None]:
    """Weighted sums, per covariate profile, of the per-row derivatives in ``log theta``.

    ``G_log = theta G`` and ``H_log = theta theta' H + diag(theta G)``; rows
    with equal covariates share ``z``, so the chain rule needs only these sums
    (shapes ``(P, k)`` and ``(P, k, k)`` for ``P`` profiles).
    """
    k = theta.shape[1]
    g_log = theta * grad
    g_tot = np.stack([np.bincount(profile, w * g_log[:, j], n_profiles) for j in range(k)], axis=1)
    if hess is None:
        return g_tot, None
    h_tot = np.empty((n_profiles, k, k))
    for j in range(k):
        for l in range(j, k):
            entry = theta[:, j] * theta[:, l] * hess[:, j, l] + (g_log[:, j] if j == l else 0.0)
            h_tot[:, j, l] = h_tot[:, l, j] = np.bincount(profile, w * entry, n_profiles)
    return g_tot, h_tot


def profile_hessian(gradient: Callable[[NDArray[np.float64]], NDArray[np.float64]], log_theta: NDArray[np.float64],
                    step: float = 1e-4) -> NDArray[np.float64]:
    """Per-profile Hessians ``(P, k, k)`` in ``log theta`` by central differences of the per-profile gradient.

    ``gradient(log_theta)`` maps per-profile log-parameters ``(P, k)`` to the
    per-profile gradient totals in ``log theta`` ``(P, k)``. Profile ``p``'s
    total depends only on its own row ``log_theta[p]``, so moving column ``j``
    of every profile at once gives column ``j`` of every profile's Hessian:
    ``2 k`` gradients in all, whatever the number of profiles (differences of
    the full gradient in ``u`` would need ``2 (k + coefficients)``). The
    result is symmetrised.
    """
    P, k = log_theta.shape
    hess = np.empty((P, k, k))
    for j in range(k):
        shift = np.zeros(k)
        shift[j] = step
        hess[:, :, j] = (gradient(log_theta + shift) - gradient(log_theta - shift)) / (2 * step)
    return (hess + np.swapaxes(hess, 1, 2)) / 2


def chain_gradient(M: NDArray[np.float64], Z1: NDArray[np.float64], g_tot: NDArray[np.float64]) -> NDArray[np.float64]:
    """Total gradient in the optimiser's coordinates ``u`` from per-profile sums (module docstring); ``Z1`` per profile."""
    return np.einsum("jq,jqp->p", np.einsum("iq,ij->jq", Z1, g_tot), M)


def chain_hessian(M: NDArray[np.float64], Z1: NDArray[np.float64], h_tot: NDArray[np.float64]) -> NDArray[np.float64]:
    """Total Hessian in ``u`` from per-profile sums (module docstring); ``Z1`` per profile."""
    C = np.einsum("ijl,iq,ir->jlqr", h_tot, Z1, Z1)
    return np.einsum("jqp,jlqr,lrs->ps", M, C, M)

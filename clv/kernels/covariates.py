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

from typing import Iterable

import numpy as np
from numpy.typing import NDArray

__all__ = ["chain_gradient", "chain_hessian", "link_map", "row_params", "to_log_scale"]


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


def to_log_scale(theta: NDArray[np.float64], grad: NDArray[np.float64],
                 hess: NDArray[np.float64] | None = None) -> tuple[NDArray[np.float64], NDArray[np.float64] | None]:
    """Per-row derivatives in ``theta`` (``(n, k)`` and ``(n, k, k)``) turned into derivatives in ``log theta``.

    ``G_log = theta G`` and ``H_log = theta theta' H + diag(theta G)``.
    """
    g_log = theta * grad
    if hess is None:
        return g_log, None
    h_log = theta[:, :, None] * theta[:, None, :] * hess
    idx = np.arange(theta.shape[1])
    h_log[:, idx, idx] += g_log
    return g_log, h_log


def chain_gradient(M: NDArray[np.float64], Z1: NDArray[np.float64], w: NDArray[np.float64], g_log: NDArray[np.float64]) -> NDArray[np.float64]:
    """Total gradient in the optimiser's coordinates ``u`` (module docstring)."""
    S = np.einsum("iq,ij->jq", w[:, None] * Z1, g_log)
    return np.einsum("jq,jqp->p", S, M)


def chain_hessian(M: NDArray[np.float64], Z1: NDArray[np.float64], w: NDArray[np.float64], h_log: NDArray[np.float64]) -> NDArray[np.float64]:
    """Total Hessian in ``u`` (module docstring); only the upper triangle of ``h_log`` in ``j, l`` is read."""
    k = h_log.shape[1]
    P = M.shape[2]
    hess = np.zeros((P, P))
    wz = w[:, None] * Z1
    for j in range(k):
        for l in range(j, k):
            block = M[j].T @ np.einsum("iq,ir->qr", h_log[:, j, l][:, None] * wz, Z1) @ M[l]
            hess += block if j == l else block + block.T
    return hess

"""Pareto/NBD: exponential lifetimes, Poisson purchasing (Schmittlein, Morrison & Colombo 1987)."""

from __future__ import annotations

from clv.kernels import paretonbd
from clv.models.transactions import TransactionModel

__all__ = ["ParetoNBD"]


class ParetoNBD(TransactionModel):
    """Pareto/NBD model of repeat purchasing, fitted by maximum likelihood.

    Parameters ``r, alpha`` describe the gamma-distributed purchase rate and
    ``s, beta`` the gamma-distributed dropout rate. The likelihood is
    evaluated in log space with a transformed hypergeometric series that stays
    finite for customers with thousands of purchases; its gradient is taken
    numerically.
    """

    param_names = paretonbd.PARAMS
    _default_start = (0.5, 10.0, 0.5, 10.0)
    _kernel = paretonbd

"""MBG/NBD: BG/NBD in which customers may also drop out right after the first purchase (Batislam et al. 2007)."""

from __future__ import annotations

from clv.kernels import mbgnbd
from clv.models.transactions import TransactionModel

__all__ = ["ModifiedBetaGeo"]


class ModifiedBetaGeo(TransactionModel):
    """MBG/NBD model of repeat purchasing, fitted by maximum likelihood.

    Same parameters as :class:`clv.BetaGeo` (``r, alpha, a, b``); the dropout
    opportunity at time zero means customers without repeat purchases can be
    inactive, which BG/NBD rules out.
    """

    param_names = mbgnbd.PARAMS
    _default_start = (1.0, 1.0, 1.0, 1.0)
    _kernel = mbgnbd

"""MBG/NBD: BG/NBD in which customers may also drop out right after the first purchase (Batislam et al. 2007)."""

from __future__ import annotations

from clv.kernels import mbgnbd
from clv.models.transactions import TransactionModel, betageo_limits

__all__ = ["ModifiedBetaGeo"]


class ModifiedBetaGeo(TransactionModel):
    """MBG/NBD model of repeat purchasing, fitted by maximum likelihood.

    Same parameters as :class:`clv.BetaGeo` (``r, alpha, a, b``); the dropout
    opportunity at time zero means customers without repeat purchases can be
    inactive, which BG/NBD rules out (Batislam, Denizel & Filiztekin 2007,
    eqs. 4-9; see :mod:`clv.kernels.mbgnbd`).

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
        Estimates of ``r, alpha, a, b``.
    log_likelihood_ : float
        Log-likelihood at the estimates.
    n_obs_ : float
        Number of customers fitted (sum of the weights).
    result_ : clv.FitResult
        Standard errors, intervals, AIC/BIC and parameter draws.

    Examples
    --------
    >>> import clv
    >>> rfm = clv.rfm_summary(clv.datasets.load_cdnow(), observation_end="1997-09-30")
    >>> mbg = clv.ModifiedBetaGeo().fit(rfm)
    >>> mbg.params_.round(3).to_dict()
    {'r': 0.525, 'alpha': 6.183, 'a': 0.891, 'b': 1.614}

    Unlike BG/NBD, a customer without repeat purchases (customer 3) is not
    certainly alive:

    >>> mbg.probability_alive(rfm).head(3).round(3).tolist()
    [0.706, 0.171, 0.39]
    """

    param_names = mbgnbd.PARAMS
    _dropout_targets = (("a", 1), ("b", 1))
    _default_start = (1.0, 1.0, 1.0, 1.0)
    _time_params = ("alpha",)  # parameters measured in time units (rate scales)
    _kernel = mbgnbd
    _limits = betageo_limits(1)

"""BG/NBD: beta-geometric dropout, negative binomial purchasing (Fader, Hardie & Lee 2005)."""

from __future__ import annotations

from clv.kernels import bgnbd
from clv.models.transactions import TransactionModel, betageo_limits

__all__ = ["BetaGeo"]


class BetaGeo(TransactionModel):
    """BG/NBD model of repeat purchasing, fitted by maximum likelihood.

    Parameters ``r, alpha`` describe the gamma-distributed purchase rate
    across customers and ``a, b`` the beta-distributed dropout probability
    after each repeat purchase. Fit by :meth:`fit`; predictions follow
    Fader, Hardie & Lee (2005), eqs. 6-10 (see :mod:`clv.kernels.bgnbd`).

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
    >>> bg = clv.BetaGeo().fit(rfm)
    >>> bg.params_.round(4).to_dict()
    {'r': 0.2426, 'alpha': 4.4136, 'a': 0.7929, 'b': 2.4259}
    >>> round(bg.log_likelihood_, 2)
    -9582.43
    """

    param_names = bgnbd.PARAMS
    _dropout_targets = (("a", 1), ("b", 1))
    _default_start = (1.0, 1.0, 1.0, 1.0)
    _time_params = ("alpha",)  # parameters measured in time units (rate scales)
    _kernel = bgnbd
    _limits = betageo_limits(0)

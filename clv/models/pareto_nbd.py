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
    numerically. Equations: Fader & Hardie (2005), eqs. 17-24 (see
    :mod:`clv.kernels.paretonbd`).

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
        Estimates of ``r, alpha, s, beta``.
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
    >>> pnbd = clv.ParetoNBD().fit(rfm)
    >>> pnbd.params_.round(3).to_dict()
    {'r': 0.553, 'alpha': 10.578, 's': 0.606, 'beta': 11.669}
    >>> pnbd.expected_purchases(rfm, 39).head(3).round(3).tolist()
    [1.455, 0.171, 0.107]
    """

    param_names = paretonbd.PARAMS
    _default_start = (0.5, 10.0, 0.5, 10.0)
    _time_params = ("alpha", "beta")  # parameters measured in time units (rate scales)
    _kernel = paretonbd

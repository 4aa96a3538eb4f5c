"""BG/BB: beta-geometric dropout, beta-Bernoulli purchasing at discrete opportunities (Fader, Hardie & Shang 2010)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from clv.data.discrete import check_discrete_rfm
from clv.data.rfm_checks import resolve_weights
from clv.errors import DataError
from clv.kernels import bgbb
from clv.kernels.design import dot
from clv.models.base import MLEModel
from clv.models.customer_predictions import CustomerPredictions, compress

__all__ = ["BetaGeoBetaBinom"]


def _whole(value: Any, name: str) -> int:
    if not (np.isscalar(value) and float(value) == round(float(value)) and float(value) >= 0):
        raise DataError(f"{name} must be a whole number of opportunities >= 0, got {value!r}")
    return round(float(value))


class BetaGeoBetaBinom(MLEModel, CustomerPredictions):
    """BG/BB model of discrete-time repeat purchasing, fitted by maximum likelihood.

    For annual donations, event attendance or any business where a customer
    can buy at most once per period. A living customer buys at each
    opportunity with probability ``p`` ~ Beta(alpha, beta) and dies at the
    start of each opportunity with probability ``theta`` ~ Beta(gamma,
    delta) (Fader, Hardie & Shang 2010; see :mod:`clv.kernels.bgbb`). The
    input has one row per customer (or per distinct history, with weights):
    ``frequency`` (opportunities with a purchase), ``recency`` (the last
    one) and ``n_periods`` (opportunities observed).

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
        Estimates of ``alpha, beta, gamma, delta``.
    log_likelihood_ : float
        Log-likelihood at the estimates.
    n_obs_ : float
        Number of customers fitted (sum of the weights).
    result_ : clv.FitResult
        Standard errors, intervals, AIC/BIC and parameter draws.

    Examples
    --------
    The donations data of Fader, Hardie & Shang (2010), who report 1.204,
    0.750, 0.657, 2.783 and a log-likelihood of -33,225.6:

    >>> import clv
    >>> donations = clv.datasets.load_donations()
    >>> bgbb = clv.BetaGeoBetaBinom().fit(donations, weights="weights")
    >>> bgbb.params_.round(3).to_dict(), round(bgbb.log_likelihood_, 1)
    ({'alpha': 1.204, 'beta': 0.75, 'gamma': 0.657, 'delta': 2.783}, -33225.6)
    """

    param_names = bgbb.PARAMS
    _default_start = (1.0, 1.0, 1.0, 1.0)
    _kernel = bgbb

    def _prepare(self, rfm: pd.DataFrame, weights: Any) -> dict[str, Any]:
        x, t_x, n = check_discrete_rfm(rfm)
        w = resolve_weights(rfm, weights)
        keep = w > 0
        (ux, ut, un), uw, _ = compress(x[keep], t_x[keep], n[keep], weights=w[keep])
        return {"x": ux, "t_x": ut, "n": un, "w": uw, "n_obs": float(uw.sum()), "n_unique": len(uw)}

    def _loglik(self, params: np.ndarray, data: dict[str, Any]) -> float:
        return dot(data["w"], bgbb.loglik(*params, data["x"], data["t_x"], data["n"]))

    # -- what the predictions need (clv.models.customer_predictions) ------------------
    def _arrays(self, rfm: pd.DataFrame) -> tuple[np.ndarray, ...]:
        """``frequency, recency, n_periods``, checked as a discrete-time history (:func:`clv.data.discrete.check_discrete_rfm`)."""
        return check_discrete_rfm(rfm)

    def probability_alive(self, rfm: pd.DataFrame, *, at: int = 0) -> pd.Series:
        """P(alive at opportunity ``n_periods + at`` | history), Fader, Hardie & Shang (2010), eq. 11 and eq. A10.

        ``at=0`` is the probability of having survived the observed
        opportunities; the paper's eq. 11 is ``at=1``.

        Parameters
        ----------
        rfm : pandas.DataFrame
            Columns ``frequency, recency, n_periods``.
        at : int
            Opportunities after the last observed one.

        Returns
        -------
        pandas.Series
            ``p_alive`` per customer, indexed like ``rfm``.

        Examples
        --------
        >>> import clv
        >>> donations = clv.datasets.load_donations()
        >>> bgbb = clv.BetaGeoBetaBinom().fit(donations, weights="weights")
        >>> bgbb.probability_alive(donations, at=1).head(3).round(3).tolist()
        [0.108, 0.069, 0.255]
        """
        return self._kernel_series(rfm, "p_alive", "probability_alive", m=_whole(at, "at"))

    def expected_purchases(self, rfm: pd.DataFrame, t: int) -> pd.Series:
        """Expected purchases in the next ``t`` opportunities, Fader, Hardie & Shang (2010), eq. 13.

        Parameters
        ----------
        rfm : pandas.DataFrame
            Columns ``frequency, recency, n_periods``.
        t : int
            Number of future opportunities.

        Returns
        -------
        pandas.Series
            ``expected_purchases`` per customer, indexed like ``rfm``.

        Examples
        --------
        >>> import clv
        >>> donations = clv.datasets.load_donations()
        >>> bgbb = clv.BetaGeoBetaBinom().fit(donations, weights="weights")
        >>> bgbb.expected_purchases(donations, 5).tail(2).round(3).tolist()
        [3.232, 3.753]
        """
        return self._kernel_series(rfm, "expected_purchases", "expected_purchases", _whole(t, "t"))

    def conditional_pmf(self, rfm: pd.DataFrame, n: int, t: int) -> pd.Series:
        """P(exactly ``n`` purchases in the next ``t`` opportunities | history), Fader, Hardie & Shang (2010), eq. 16.

        Exact: a finite mixture over the number of future opportunities the
        customer survives (see :func:`clv.kernels.bgbb.conditional_pmf`).

        Parameters
        ----------
        rfm : pandas.DataFrame
            Columns ``frequency, recency, n_periods``.
        n : int
            Number of purchases.
        t : int
            Number of future opportunities.

        Returns
        -------
        pandas.Series
            Probabilities per customer, indexed like ``rfm``.

        Examples
        --------
        >>> import clv
        >>> donations = clv.datasets.load_donations()
        >>> bgbb = clv.BetaGeoBetaBinom().fit(donations, weights="weights")
        >>> bgbb.conditional_pmf(donations, 0, 5).head(2).round(3).tolist()
        [0.952, 0.953]
        """
        return self._kernel_series(rfm, "probability", "conditional_pmf", _whole(n, "n"), _whole(t, "t"))

    def probability_no_purchase(self, rfm: pd.DataFrame, t: int) -> pd.Series:
        """P(no purchase in the next ``t`` opportunities | history): :meth:`conditional_pmf` at 0.

        Parameters
        ----------
        rfm : pandas.DataFrame
            Columns ``frequency, recency, n_periods``.
        t : int
            Number of future opportunities.

        Returns
        -------
        pandas.Series
            Probabilities per customer, indexed like ``rfm``.

        Examples
        --------
        >>> import clv
        >>> donations = clv.datasets.load_donations()
        >>> bgbb = clv.BetaGeoBetaBinom().fit(donations, weights="weights")
        >>> bgbb.probability_no_purchase(donations, 1).tail(2).round(3).tolist()
        [0.274, 0.157]
        """
        return self.conditional_pmf(rfm, 0, t).rename("p_no_purchase")

    def probability_of_purchases(self, n: Any, t: int) -> Any:
        """P(a new customer buys at exactly ``n`` of the first ``t`` opportunities), Fader, Hardie & Shang (2010), eq. 7.

        Parameters
        ----------
        n : int or array-like of int
            Numbers of purchases.
        t : int
            Number of opportunities.

        Returns
        -------
        float or numpy.ndarray
            A float for scalar ``n``.

        Examples
        --------
        >>> import numpy as np, clv
        >>> donations = clv.datasets.load_donations()
        >>> bgbb = clv.BetaGeoBetaBinom().fit(donations, weights="weights")
        >>> (bgbb.probability_of_purchases(np.arange(7), 6) * 11104).round(0)
        array([3455., 1889., 1349., 1113., 1018., 1027., 1253.])
        """
        value = bgbb.conditional_pmf(np.asarray(n, dtype=float), _whole(t, "t"), *self._values(), 0.0, 0.0, 0.0)
        return float(value) if np.ndim(value) == 0 else value

    def expected_purchases_new(self, t: int) -> float:
        """Expected purchases of a new customer over the first ``t`` opportunities, Fader, Hardie & Shang (2010), eq. 9.

        Parameters
        ----------
        t : int
            Number of opportunities.

        Returns
        -------
        float

        Examples
        --------
        >>> import clv
        >>> donations = clv.datasets.load_donations()
        >>> bgbb = clv.BetaGeoBetaBinom().fit(donations, weights="weights")
        >>> round(bgbb.expected_purchases_new(6), 3)
        2.22
        """
        return float(bgbb.expected_purchases(_whole(t, "t"), *self._values(), 0.0, 0.0, 0.0))

    def discounted_expected_transactions(self, rfm: pd.DataFrame, discount_rate: float) -> pd.Series:
        """DERT: discounted expected residual transactions, Fader, Hardie & Shang (2010), eq. 14.

        A purchase ``j`` opportunities ahead is discounted by
        ``(1 + discount_rate) ** -j``; multiply by the value of a purchase for
        the residual lifetime value.

        Parameters
        ----------
        rfm : pandas.DataFrame
            Columns ``frequency, recency, n_periods``.
        discount_rate : float
            Discount rate per opportunity (> 0).

        Returns
        -------
        pandas.Series
            ``dert`` per customer, indexed like ``rfm``.

        Examples
        --------
        >>> import clv
        >>> donations = clv.datasets.load_donations()
        >>> bgbb = clv.BetaGeoBetaBinom().fit(donations, weights="weights")
        >>> bgbb.discounted_expected_transactions(donations, 0.1).tail(2).round(3).tolist()
        [5.089, 5.91]
        """
        if not (np.isfinite(discount_rate) and discount_rate > 0):
            raise DataError(f"discount_rate must be a positive rate per opportunity, got {discount_rate}")
        return self._kernel_series(rfm, "dert", "dert", discount_rate)

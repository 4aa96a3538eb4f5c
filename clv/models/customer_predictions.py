"""The pandas-facing prediction wrappers, written once for the maximum-likelihood and the posterior-draw models.

A wrapper reads the model's columns from the RFM frame (checking them at the
boundary), calls a kernel function of :mod:`clv.kernels` with each customer's
parameters, and returns a :class:`pandas.Series` indexed like the frame. The
classes here derive every such wrapper from a few declarations, so that
:class:`clv.BetaGeo` and a posterior draw of
:class:`clv.bayes.HierarchicalBetaGeo` predict through the same code:

* ``_rfm_columns``: the columns the kernel reads, in kernel order;
* ``_prediction_kernel()``: the namespace of kernel functions (a module of
  :mod:`clv.kernels`, or a limit model's functions);
* ``_customer_params(rfm)``: the parameters in kernel order, floats when
  every customer shares them, else one array entry per customer;
* ``_profiles(rfm)``: ``None`` when every customer shares the parameters,
  else an ``(n, p)`` array whose equal rows have equal parameters (the
  covariates of an MLE model, the group of a posterior draw).

:class:`TransactionPredictions` derives the purchase predictions (BG/NBD,
MBG/NBD, Pareto/NBD), :class:`SpendPredictions` the spend prediction
(Gamma-Gamma); :class:`CustomerPredictions` holds the shared steps that BG/BB
uses too.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd

from clv.data.rfm_checks import check_rfm
from clv.errors import DataError

__all__ = ["CustomerPredictions", "SpendPredictions", "TransactionPredictions", "compress", "spend_arrays"]


def compress(*columns: np.ndarray, weights: np.ndarray) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """Collapse rows with identical values in ``columns`` into one weighted row.

    Returns the unique columns, their summed weights and, for every input row,
    the index of its unique row (hash-based, no sort of the full data).
    """
    key = np.zeros(len(weights), dtype=np.int64)
    for col in columns:
        if _indicator(col):  # a 0/1 column (a covariate indicator) is its own code: no hashing
            codes, width = col.astype(np.int64), 2
        else:
            codes, uniques = pd.factorize(col)
            width = len(uniques)
        key = key * width + codes
        if width and key.max() > 2**52:  # re-factorize before the mixed key could overflow
            key = pd.factorize(key)[0].astype(np.int64)
    inverse, first = pd.factorize(key)
    first_row = np.zeros(len(first), dtype=np.int64)
    first_row[inverse[::-1]] = np.arange(len(key))[::-1]
    summed = np.bincount(inverse, weights=weights, minlength=len(first))
    return [col[first_row] for col in columns], summed, inverse


def _indicator(col: np.ndarray) -> bool:
    """Whether every value of ``col`` is 0 or 1 (checked on a few values first, so other columns cost almost nothing)."""
    head = col[:64]
    return bool(col.dtype.kind == "f" and len(col) and ((head == 0) | (head == 1)).all() and ((col == 0) | (col == 1)).all())


def spend_arrays(rfm: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """``(x, m)`` of a Gamma-Gamma prediction, customers without usable spend history set to ``(0, 0)`` (the population mean).

    Usable means at least one repeat purchase and a positive mean repeat
    spend (the customers :class:`clv.GammaGamma` fits on).
    """
    check_rfm(rfm, ("frequency", "monetary_value"))
    x = rfm["frequency"].to_numpy(dtype=float)
    m = rfm["monetary_value"].to_numpy(dtype=float)
    usable = (x > 0) & (m > 0)
    return np.where(usable, x, 0.0), np.where(usable, m, 0.0)


class CustomerPredictions:
    """Shared steps of every per-customer prediction: read the columns, gather the parameters, call the kernel, wrap the result."""

    _rfm_columns: ClassVar[tuple[str, ...]] = ()

    # -- what a model provides -------------------------------------------------
    def _prediction_kernel(self) -> Any:
        """The namespace of kernel functions the predictions call."""
        raise NotImplementedError

    def _customer_params(self, rfm: pd.DataFrame) -> list[Any]:
        """The parameters of each customer of ``rfm`` in kernel order (floats when shared, else per-customer arrays)."""
        raise NotImplementedError

    def _profiles(self, rfm: pd.DataFrame) -> np.ndarray | None:
        """``None`` when every customer shares the parameters, else ``(n, p)`` rows that are equal where the parameters are."""
        return None

    # -- derived -------------------------------------------------------------------
    def _arrays(self, rfm: pd.DataFrame) -> tuple[np.ndarray, ...]:
        """The checked ``_rfm_columns`` of ``rfm`` as float arrays, in kernel order."""
        check_rfm(rfm, self._rfm_columns)
        return tuple(rfm[c].to_numpy(dtype=float) for c in self._rfm_columns)

    def _kernel_series(self, rfm: pd.DataFrame, name: str, function: str, *leading: Any, **options: Any) -> pd.Series:
        """``kernel.<function>(*leading, *params, *columns, **options)`` for every customer, as a Series ``name`` indexed like ``rfm``."""
        arrays = self._arrays(rfm)
        value = getattr(self._prediction_kernel(), function)(*leading, *self._customer_params(rfm), *arrays, **options)
        return pd.Series(value, index=rfm.index, name=name)

    def _by_profile(self, rfm: pd.DataFrame, name: str, function: str, *leading: Any) -> pd.Series:
        """:meth:`_kernel_series` for kernel functions that take scalar parameters: one call per distinct profile."""
        arrays = self._arrays(rfm)
        compute = getattr(self._prediction_kernel(), function)
        profiles = self._profiles(rfm)
        params = self._customer_params(rfm)
        if profiles is None:
            value = np.asarray(compute(*leading, *params, *arrays), dtype=float)
            return pd.Series(value, index=rfm.index, name=name)
        _, inverse = np.unique(profiles, axis=0, return_inverse=True)
        inverse = inverse.reshape(-1)
        value = np.empty(len(rfm))
        for g in range(int(inverse.max()) + 1):
            sel = inverse == g
            first = int(np.argmax(sel))
            value[sel] = compute(*leading, *(v if np.ndim(v) == 0 else float(v[first]) for v in params), *(c[sel] for c in arrays))
        return pd.Series(value, index=rfm.index, name=name)


class TransactionPredictions(CustomerPredictions):
    """Per-customer purchase predictions of BG/NBD, MBG/NBD and Pareto/NBD, from the kernel functions of the same names.

    The kernel provides ``purchase_rate``, ``probability_alive``,
    ``probability_alive_at``, ``expected_purchases``,
    ``expected_purchases_if_alive``, ``conditional_pmf``, ``dert`` and
    ``loglik``, each taking ``(*leading, *params, x, t_x, T)``
    (``expected_purchases_if_alive``: ``(t, *params, x, T)``).
    """

    _rfm_columns: ClassVar[tuple[str, ...]] = ("frequency", "recency", "T")

    def loglik(self, rfm: pd.DataFrame) -> pd.Series:
        """Per-customer log-likelihood at the fitted parameters."""
        return self._kernel_series(rfm, "loglik", "loglik")


    def purchase_rate(self, rfm: pd.DataFrame) -> pd.Series:
        """Posterior mean purchase rate (lambda, purchases per time unit while alive) of each customer.

        BG/NBD and MBG/NBD: the mean of a mixture of ``Gamma(r + x, alpha + T)``
        (alive at ``T``) and ``Gamma(r + x, alpha + t_x)`` (dropped out after the
        last purchase) weighted by P(alive); Pareto/NBD: the likelihood ratio
        ``L(x + 1, t_x, T) / L(x, t_x, T)`` (see :mod:`clv.kernels`).

        Parameters
        ----------
        rfm : pandas.DataFrame
            Columns ``frequency, recency, T`` (output of :func:`clv.rfm_summary`),
            in the time unit the model was fitted in.

        Returns
        -------
        pandas.Series
            ``purchase_rate`` per customer, indexed like ``rfm``.

        Examples
        --------
        >>> import clv
        >>> rfm = clv.rfm_summary(clv.datasets.load_cdnow(), observation_end="1997-09-30")
        >>> bg = clv.BetaGeo().fit(rfm)
        >>> bg.purchase_rate(rfm).head(3).round(4)
        customer_id
        1    0.0553
        2    0.1658
        3    0.0056
        Name: purchase_rate, dtype: float64
        """
        return self._kernel_series(rfm, "purchase_rate", "purchase_rate")

    def probability_alive(self, rfm: pd.DataFrame, *, at: float = 0.0) -> pd.Series:
        """Probability that each customer is still active at the end of observation, or ``at`` time units later.

        BG/NBD: Fader, Hardie & Lee (2005), eq. A.1 (MBG/NBD: the same with the
        extra dropout opportunity at time 0); Pareto/NBD: Fader & Hardie (2005),
        eq. 18. For ``at > 0`` the survival over ``(T, T + at]`` is in closed
        form too: ``((beta+T)/(beta+T+at))**s`` (Pareto/NBD) and a Gauss
        hypergeometric function (BG/NBD, MBG/NBD; see
        :func:`clv.kernels.betageo_family.alive_at`).

        Parameters
        ----------
        rfm : pandas.DataFrame
            Columns ``frequency, recency, T`` in the model's time unit.
        at : float
            Time units after the observation end (0: at the end).

        Returns
        -------
        pandas.Series
            ``p_alive`` per customer, between 0 and 1, indexed like ``rfm``.

        Examples
        --------
        >>> import clv
        >>> rfm = clv.rfm_summary(clv.datasets.load_cdnow(), observation_end="1997-09-30")
        >>> bg = clv.BetaGeo().fit(rfm)
        >>> bg.probability_alive(rfm).head(3).round(4)
        customer_id
        1    0.7266
        2    0.2124
        3    1.0000
        Name: p_alive, dtype: float64

        Alive a year (52 weeks) after the end of observation:

        >>> bg.probability_alive(rfm, at=52).head(3).round(4).tolist()
        [0.5317, 0.1706, 0.944]
        """
        if not (np.isfinite(at) and at >= 0):
            raise DataError(f"at must be a time >= 0 after the observation end, got {at}")
        if at > 0:
            return self._kernel_series(rfm, "p_alive", "probability_alive_at", at)
        return self._kernel_series(rfm, "p_alive", "probability_alive")

    def conditional_pmf(self, rfm: pd.DataFrame, n: int, t: float) -> pd.Series:
        """P(exactly ``n`` purchases in the next ``t`` time units | history), ``P(Y(T, T+t] = n | x, t_x, T)``.

        Closed forms: BG/NBD and MBG/NBD, ``1{n=0} (1 - P(alive)) + P(alive)``
        times eq. 8 of Fader, Hardie & Lee (2005) at the posterior parameters;
        Pareto/NBD, Fader, Hardie & Shang (2010), note 028, eq. 16.

        Parameters
        ----------
        rfm : pandas.DataFrame
            Columns ``frequency, recency, T`` in the model's time unit.
        n : int
            Number of purchases (>= 0).
        t : float
            Forecast horizon in time units after ``T``.

        Returns
        -------
        pandas.Series
            Probabilities per customer, indexed like ``rfm``.

        Examples
        --------
        >>> import clv
        >>> rfm = clv.rfm_summary(clv.datasets.load_cdnow(), observation_end="1997-09-30")
        >>> bg = clv.BetaGeo().fit(rfm)
        >>> bg.conditional_pmf(rfm, 1, 39).head(3).round(3).tolist()
        [0.239, 0.068, 0.11]
        """
        if not (np.isscalar(n) and float(n) == round(float(n)) and n >= 0):
            raise DataError(f"n must be a whole number of purchases >= 0, got {n!r}")
        if not (np.isfinite(t) and t >= 0):
            raise DataError(f"t must be a horizon >= 0, got {t}")
        return self._by_profile(rfm, "probability", "conditional_pmf", float(n), float(t))

    def probability_no_purchase(self, rfm: pd.DataFrame, t: float) -> pd.Series:
        """P(no purchase in the next ``t`` time units | history): :meth:`conditional_pmf` at 0.

        Parameters
        ----------
        rfm : pandas.DataFrame
            Columns ``frequency, recency, T`` in the model's time unit.
        t : float
            Horizon in time units after ``T``.

        Returns
        -------
        pandas.Series
            ``p_no_purchase`` per customer, indexed like ``rfm``.

        Examples
        --------
        >>> import clv
        >>> rfm = clv.rfm_summary(clv.datasets.load_cdnow(), observation_end="1997-09-30")
        >>> pnbd = clv.ParetoNBD().fit(rfm)
        >>> pnbd.probability_no_purchase(rfm, 39).head(3).round(3).tolist()
        [0.408, 0.913, 0.931]
        """
        return self.conditional_pmf(rfm, 0, t).rename("p_no_purchase")

    def expected_purchases(self, rfm: pd.DataFrame, t: float) -> pd.Series:
        """Expected purchases of each customer in the next ``t`` time units, given the history.

        The conditional expectation ``E[Y(t) | x, t_x, T]``: Fader, Hardie & Lee
        (2005), eq. 10 (BG/NBD); Batislam et al. (2007), eq. 9 (MBG/NBD);
        Fader & Hardie (2005), eq. 24 (Pareto/NBD).

        Parameters
        ----------
        rfm : pandas.DataFrame
            Columns ``frequency, recency, T`` in the model's time unit.
        t : float
            Forecast horizon in time units after ``T``.

        Returns
        -------
        pandas.Series
            ``expected_purchases`` per customer, indexed like ``rfm``.

        Examples
        --------
        Customer 1 of CDNOW (x = 2, t_x = 30.43, T = 38.86 weeks) is expected
        to buy 1.226 times in the next 39 weeks, as in Fader, Hardie & Lee
        (2005), section 4:

        >>> import clv
        >>> rfm = clv.rfm_summary(clv.datasets.load_cdnow(), observation_end="1997-09-30")
        >>> bg = clv.BetaGeo().fit(rfm)
        >>> bg.expected_purchases(rfm, 39).head(3).round(3)
        customer_id
        1    1.226
        2    0.203
        3    0.195
        Name: expected_purchases, dtype: float64
        """
        return self._kernel_series(rfm, "expected_purchases", "expected_purchases", t)

    def _alive_curve(self, rfm: pd.DataFrame, times: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Expected purchases if alive at ``times`` per distinct ``(x, T, z)``, each row's index into them, and P(alive).

        The "if alive" part of every model depends on ``(x, T)`` and the
        parameter profile only, so it is computed once per distinct combination;
        this keeps scoring millions of customers over many horizons fast.
        """
        x, t_x, T = self._arrays(rfm)
        params = self._customer_params(rfm)
        profiles = self._profiles(rfm)
        extra = [] if profiles is None else list(profiles.T)
        (ux, uT, *_), _, inverse = compress(x, T, *extra, weights=np.ones(len(x)))
        first = np.zeros(len(ux), dtype=np.int64)
        first[inverse[::-1]] = np.arange(len(x))[::-1]
        unique = [v if np.ndim(v) == 0 else v[first][:, None] for v in params]
        kernel = self._prediction_kernel()
        curve = kernel.expected_purchases_if_alive(times[None, :], *unique, ux[:, None], uT[:, None])
        return curve, inverse, kernel.probability_alive(*params, x, t_x, T)

    def expected_purchases_curve(self, rfm: pd.DataFrame, times: Any) -> np.ndarray:
        """Expected cumulative purchases at each of ``times`` for each customer, shape ``(len(rfm), len(times))``."""
        curve, inverse, p_alive = self._alive_curve(rfm, np.atleast_1d(np.asarray(times, dtype=float)))
        return curve[inverse] * p_alive[:, None]

    def discounted_purchases(self, rfm: pd.DataFrame, times: Any, factors: Any) -> tuple[np.ndarray, np.ndarray]:
        """Discounted and total expected purchases over periods ending at ``times``.

        Returns ``sum_k factors[k] * (E[Y(times[k])] - E[Y(times[k-1])])`` and
        ``E[Y(times[-1])]`` per customer, without forming the full
        customers-by-periods matrix.
        """
        curve, inverse, p_alive = self._alive_curve(rfm, np.atleast_1d(np.asarray(times, dtype=float)))
        increments = np.diff(curve, axis=1, prepend=0.0)
        return np.einsum("ij,j->i", increments, np.asarray(factors, dtype=float))[inverse] * p_alive, curve[inverse, -1] * p_alive

    def discounted_expected_transactions(self, rfm: pd.DataFrame, delta: float) -> pd.Series:
        """DERT: expected purchases over the whole remaining lifetime, discounted continuously at ``delta`` per time unit.

        ``int_0^inf exp(-delta t) dE[Y(T, T+t] | history]``: Fader, Hardie &
        Lee (2005), "RFM and CLV", eq. 2 (Pareto/NBD, closed form); for BG/NBD
        and MBG/NBD the same integral evaluated by a double-exponential rule
        to a relative error below 1e-9 (see :func:`clv.kernels.betageo_family.dert_if_alive`).
        An annual discount rate ``d`` corresponds to ``delta = ln(1 + d) / (time units per year)``.

        Parameters
        ----------
        rfm : pandas.DataFrame
            Columns ``frequency, recency, T`` in the model's time unit.
        delta : float
            Continuous discount rate per time unit (> 0).

        Returns
        -------
        pandas.Series
            ``dert`` per customer, indexed like ``rfm``.

        Examples
        --------
        >>> import numpy as np, clv
        >>> rfm = clv.rfm_summary(clv.datasets.load_cdnow(), observation_end="1997-09-30")
        >>> pnbd = clv.ParetoNBD().fit(rfm)
        >>> pnbd.discounted_expected_transactions(rfm, np.log(1.1) / 52).head(3).round(3).tolist()
        [8.156, 0.959, 0.6]
        """
        if not (np.isfinite(delta) and delta > 0):
            raise DataError(f"delta must be a positive continuous discount rate per time unit, got {delta}")
        return self._by_profile(rfm, "dert", "dert", delta)


class SpendPredictions(CustomerPredictions):
    """The per-customer spend prediction of Gamma-Gamma, from the kernel's ``expected_spend(*params, x, m)``."""

    _rfm_columns: ClassVar[tuple[str, ...]] = ("frequency", "monetary_value")

    def _arrays(self, rfm: pd.DataFrame) -> tuple[np.ndarray, ...]:
        """``frequency`` and ``monetary_value``, customers without usable spend history at ``(0, 0)`` (:func:`spend_arrays`)."""
        return spend_arrays(rfm)

    def expected_spend(self, rfm: pd.DataFrame) -> pd.Series:
        """Conditional expected value of each customer's future transactions (Fader & Hardie 2013, eq. 5).

        Customers without repeat purchases, or with a non-positive mean
        repeat spend, carry no usable spend history and get the population
        mean ``p v / (q - 1)``.

        Parameters
        ----------
        rfm : pandas.DataFrame
            Columns ``frequency`` and ``monetary_value`` (output of
            :func:`clv.rfm_summary`).

        Returns
        -------
        pandas.Series
            ``expected_spend`` per customer, indexed like ``rfm``.

        Examples
        --------
        >>> import clv
        >>> rfm = clv.rfm_summary(clv.datasets.load_cdnow(), observation_end="1997-09-30")
        >>> gg = clv.GammaGamma().fit(rfm)
        >>> gg.expected_spend(rfm).head(3).round(2)
        customer_id
        1    24.65
        2    18.91
        3    35.17
        Name: expected_spend, dtype: float64

        Customer 3 has no repeat purchase and gets the population mean:

        >>> round(gg.population_mean_spend(), 2)
        35.17
        """
        return self._kernel_series(rfm, "expected_spend", "expected_spend")

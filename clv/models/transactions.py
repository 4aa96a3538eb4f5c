"""Shared behaviour of the transaction (purchase-count) models.

A concrete model names its kernel module; the kernels supply the maths. This
class turns RFM frames into kernel arrays, compresses customers to unique
``(x, t_x, T)`` tuples for fitting (the likelihood depends on nothing else),
and wraps kernel outputs as pandas objects indexed like the input.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any, ClassVar, Mapping, Sequence

import numpy as np
import pandas as pd

from clv.data.rfm_checks import check_rfm, resolve_weights
from clv.errors import DataError
from clv.kernels.design import Column, dot
from clv.models.base import MLEModel
from clv.models.covariate_links import Group
from clv.models.limits import LimitPredictions, betageo_limits

__all__ = ["TransactionModel", "betageo_limits", "compress"]  # betageo_limits re-exported from clv.models.limits

_RFM = ("frequency", "recency", "T")


def compress(*columns: np.ndarray, weights: np.ndarray) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """Collapse rows with identical values in ``columns`` into one weighted row.

    Returns the unique columns, their summed weights and, for every input row,
    the index of its unique row (hash-based, no sort of the full data).
    """
    key = np.zeros(len(weights), dtype=np.int64)
    for col in columns:
        codes, uniques = pd.factorize(col)
        key = key * len(uniques) + codes
        if len(uniques) and key.max() > 2**52:  # re-factorize before the mixed key could overflow
            key = pd.factorize(key)[0].astype(np.int64)
    inverse, first = pd.factorize(key)
    first_row = np.zeros(len(first), dtype=np.int64)
    first_row[inverse[::-1]] = np.arange(len(key))[::-1]
    summed = np.bincount(inverse, weights=weights, minlength=len(first))
    return [col[first_row] for col in columns], summed, inverse


class TransactionModel(MLEModel):
    """Base class of BG/NBD, MBG/NBD and Pareto/NBD.

    Covariates (Fader & Hardie 2007) scale the purchase-rate parameter
    ``alpha_i = alpha exp(-g . z_i)`` and the dropout parameters named in
    ``_dropout_targets`` (see each model); ``dropout_form="unconstrained"``
    gives each dropout parameter its own coefficients.
    """

    _kernel: ClassVar[ModuleType]
    _dropout_targets: ClassVar[tuple[tuple[str, int], ...]] = ()

    def __init__(
        self,
        *,
        purchase_covariates: Sequence[str] | None = None,
        dropout_covariates: Sequence[str] | None = None,
        dropout_form: str = "constrained",
        penalizer: float = 0.0,
        initial_params: Mapping[str, float] | None = None,
        max_iter: int = 2000,
        tol: float = 1e-9,
    ) -> None:
        super().__init__(penalizer=penalizer, initial_params=initial_params, max_iter=max_iter, tol=tol)
        self.purchase_covariates = list(purchase_covariates or [])
        self.dropout_covariates = list(dropout_covariates or [])
        if dropout_form not in ("constrained", "unconstrained"):
            raise ValueError(f"dropout_form must be 'constrained' or 'unconstrained', got {dropout_form!r}")
        if dropout_form == "unconstrained" and len(self._dropout_targets) < 2:
            raise ValueError(f"{type(self).__name__} has one dropout parameter; dropout_form='unconstrained' does not apply")
        self.dropout_form = dropout_form

    def get_params(self) -> dict[str, Any]:
        """Settings given to ``__init__`` (scikit-learn convention)."""
        return {
            **super().get_params(),
            "purchase_covariates": list(self.purchase_covariates),
            "dropout_covariates": list(self.dropout_covariates),
            "dropout_form": self.dropout_form,
        }

    def _covariate_groups(self) -> list[Group]:
        groups: list[Group] = [("purchase", tuple(self.purchase_covariates), (("alpha", -1),))]
        dropout = tuple(self.dropout_covariates)
        if self.dropout_form == "unconstrained":
            groups.extend((f"dropout_{param}", dropout, ((param, sign),)) for param, sign in self._dropout_targets)
        else:
            groups.append(("dropout", dropout, self._dropout_targets))
        return groups

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        kernel = cls.__dict__.get("_kernel")
        if kernel is not None:
            cls._analytic_gradient = hasattr(kernel, "loglik_grad")
            cls._analytic_hessian = hasattr(kernel, "loglik_hessian")

    @property
    def kernel(self) -> ModuleType:
        """The model's kernel module (:mod:`clv.kernels.bgnbd`, ...): its array functions take ``*params_, x, t_x, T``."""
        return self._kernel

    # -- data --------------------------------------------------------------------
    @staticmethod
    def _arrays(rfm: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        check_rfm(rfm, _RFM)
        return tuple(rfm[c].to_numpy(dtype=float) for c in _RFM)  # type: ignore[return-value]

    def _prepare(self, rfm: pd.DataFrame, weights: Any) -> dict[str, Any]:
        x, t_x, T = self._arrays(rfm)
        w = resolve_weights(rfm, weights)
        keep = w > 0
        Z = self._fit_design_matrix(rfm)
        if Z is None:
            (ux, ut, uT), uw, _ = compress(x[keep], t_x[keep], T[keep], weights=w[keep])
            return self._design(ux, ut, uT, uw)
        # The likelihood depends on (x, t_x, T, z): customers equal in all of them share a row.
        (ux, ut, uT, *uz), uw, _ = compress(x[keep], t_x[keep], T[keep], *Z[keep].T, weights=w[keep])
        return self._design(ux, ut, uT, uw, np.column_stack(uz) if uz else np.empty((len(uw), 0)))

    def _design(self, x: np.ndarray, t_x: np.ndarray, T: np.ndarray, w: np.ndarray, Z: np.ndarray | None = None) -> dict[str, Any]:
        columns = {"x_col": Column.of(x), "t_x_col": Column.of(t_x), "T_col": Column.of(T)}
        extra = {} if Z is None else self._covariate_fit_data(Z)
        if Z is not None and hasattr(self._kernel, "row_groups"):
            extra["groups"] = self._kernel.row_groups(columns["x_col"], columns["t_x_col"], columns["T_col"], extra["profile"])
        return {"x": x, "t_x": t_x, "T": T, "w": w, "n_obs": float(w.sum()), "n_unique": len(w), **columns, **extra}

    def _warm_start(self, data: dict[str, Any]) -> np.ndarray | None:
        """On large data, start from the optimum of a fixed random subsample of the distinct tuples.

        Sampling tuples with equal probability and keeping their weights
        leaves the expected log-likelihood proportional to the full one, so
        the subsample optimum lands close to the full optimum and the full
        optimisation needs only a few iterations. The subsample seed is fixed:
        the final estimate does not depend on it.
        """
        size = 20_000
        if data["n_unique"] <= 4 * size:
            return None
        pick = np.sort(np.random.default_rng(0).choice(data["n_unique"], size=size, replace=False))
        sub = self._design(data["x"][pick], data["t_x"][pick], data["T"][pick], data["w"][pick],
                           data["Z"][pick] if "Z" in data else None)
        res = self._minimise(self._start(), sub)
        return res.x if res.success and np.all(np.isfinite(res.x)) else None

    def _loglik(self, params: np.ndarray, data: dict[str, Any]) -> float:
        values = self._rows(params, data) if "Z" in data else params
        return dot(data["w"], self._kernel.loglik(*values, data["x"], data["t_x"], data["T"]))

    def _row_derivatives(self, rows: list[Any], data: dict[str, Any], hessian: bool) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
        derivatives = getattr(self._kernel, "row_derivatives", None)
        if derivatives is None:
            return self._kernel.loglik(*rows, data["x"], data["t_x"], data["T"]), None, None
        options = {"groups": data["groups"]} if "groups" in data else {}
        return derivatives(*rows, data["x"], data["t_x"], data["T"], hessian=hessian, **options)  # type: ignore[no-any-return]

    def _loglik_grad(self, params: np.ndarray, data: dict[str, Any]) -> tuple[float, np.ndarray] | None:
        grad = getattr(self._kernel, "loglik_grad", None)
        return None if grad is None else grad(params, data["x_col"], data["t_x_col"], data["T_col"], data["w"])

    def _loglik_hessian(self, params: np.ndarray, data: dict[str, Any]) -> tuple[float, np.ndarray, np.ndarray] | None:
        hess = getattr(self._kernel, "loglik_hessian", None)
        return None if hess is None else hess(params, data["x_col"], data["t_x_col"], data["T_col"], data["w"])

    def _predictor(self) -> Any:
        """The kernel predictions come from: the model's own, or its limit's when the fit is at a boundary."""
        limit = self._limit()
        return self._kernel if limit is None else LimitPredictions(type(self).__name__, limit)

    def loglik(self, rfm: pd.DataFrame) -> pd.Series:
        """Per-customer log-likelihood at the fitted parameters."""
        x, t_x, T = self._arrays(rfm)
        return pd.Series(self._predictor().loglik(*self._customer_params(rfm), x, t_x, T), index=rfm.index, name="loglik")

    def _by_profile(self, rfm: pd.DataFrame, compute: Any) -> np.ndarray:
        """``compute(params, x, t_x, T)`` for kernels that need scalar parameters: once per distinct covariate profile."""
        x, t_x, T = self._arrays(rfm)
        Z = self._design_matrix(rfm)
        if Z is None:
            return np.asarray(compute(list(self._values()), x, t_x, T), dtype=float)
        _, inverse = np.unique(Z, axis=0, return_inverse=True)
        inverse = inverse.reshape(-1)
        params = self._customer_params(rfm)
        out = np.empty(len(x))
        for g in range(int(inverse.max()) + 1):
            sel = inverse == g
            first = int(np.argmax(sel))
            out[sel] = compute([v if np.ndim(v) == 0 else float(v[first]) for v in params], x[sel], t_x[sel], T[sel])
        return out

    def _customer_params(self, rfm: pd.DataFrame) -> list[Any]:
        """The parameters of each customer of ``rfm``: floats without covariates, per-customer arrays where covariates act."""
        Z = self._design_matrix(rfm)
        if Z is None:
            return list(self._values())
        return self.links_.row_params(self.result_.estimates, Z)  # type: ignore[union-attr]

    # -- predictions -------------------------------------------------------------
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
        x, t_x, T = self._arrays(rfm)
        return pd.Series(self._predictor().purchase_rate(*self._customer_params(rfm), x, t_x, T), index=rfm.index, name="purchase_rate")

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
        x, t_x, T = self._arrays(rfm)
        if not (np.isfinite(at) and at >= 0):
            raise DataError(f"at must be a time >= 0 after the observation end, got {at}")
        if at > 0:
            return pd.Series(self._predictor().probability_alive_at(at, *self._customer_params(rfm), x, t_x, T), index=rfm.index, name="p_alive")
        return pd.Series(self._predictor().probability_alive(*self._customer_params(rfm), x, t_x, T), index=rfm.index, name="p_alive")

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
        value = self._by_profile(rfm, lambda params, x, t_x, T: self._predictor().conditional_pmf(float(n), float(t), *params, x, t_x, T))
        return pd.Series(value, index=rfm.index, name="probability")

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
        x, t_x, T = self._arrays(rfm)
        value = self._predictor().expected_purchases(t, *self._customer_params(rfm), x, t_x, T)
        return pd.Series(value, index=rfm.index, name="expected_purchases")

    def _alive_curve(self, rfm: pd.DataFrame, times: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Expected purchases if alive at ``times`` per distinct ``(x, T, z)``, each row's index into them, and P(alive).

        The "if alive" part of every model depends on ``(x, T)`` and the
        covariates only, so it is computed once per distinct combination;
        this keeps scoring millions of customers over many horizons fast.
        """
        x, t_x, T = self._arrays(rfm)
        params = self._customer_params(rfm)
        Z = self._design_matrix(rfm)
        extra = [] if Z is None else list(Z.T)
        (ux, uT, *_), _, inverse = compress(x, T, *extra, weights=np.ones(len(x)))
        first = np.zeros(len(ux), dtype=np.int64)
        first[inverse[::-1]] = np.arange(len(x))[::-1]
        unique = [v if np.ndim(v) == 0 else v[first][:, None] for v in params]
        curve = self._predictor().expected_purchases_if_alive(times[None, :], *unique, ux[:, None], uT[:, None])
        return curve, inverse, self._predictor().probability_alive(*params, x, t_x, T)

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
        value = self._by_profile(rfm, lambda params, x, t_x, T: self._predictor().dert(delta, *params, x, t_x, T))
        return pd.Series(value, index=rfm.index, name="dert")

    def expected_purchases_new(self, t: Any, *, covariates: Any = None) -> Any:
        """Expected repeat purchases of a newly acquired customer in ``(0, t]``.

        ``E[X(t)]``: Fader, Hardie & Lee (2005), eq. 7 (BG/NBD); Batislam et
        al. (2007), eq. 7 (MBG/NBD); Fader & Hardie (2005), eq. 17 (Pareto/NBD).

        Parameters
        ----------
        t : float or array-like
            Time units since the first purchase.
        covariates : mapping or pandas.DataFrame, optional
            For a model with covariates, the profile of the new customer
            (``{"region": "north", "first_order_value": 40}`` or a one-row frame).

        Returns
        -------
        float or numpy.ndarray
            A float for scalar ``t``, otherwise an array shaped like ``t``.

        Examples
        --------
        >>> import clv
        >>> rfm = clv.rfm_summary(clv.datasets.load_cdnow(), observation_end="1997-09-30")
        >>> bg = clv.BetaGeo().fit(rfm)
        >>> round(bg.expected_purchases_new(52), 4)
        1.444
        >>> bg.expected_purchases_new([13, 26, 39]).round(4)
        array([0.5336, 0.9013, 1.195 ])
        """
        value = self._predictor().expected_purchases_new(np.asarray(t, dtype=float), *self._profile_params(covariates))
        return float(value) if np.ndim(value) == 0 else value

    def probability_of_purchases(self, n: Any, t: Any, *, covariates: Any = None) -> Any:
        """P(a new customer makes exactly ``n`` repeat purchases in ``(0, t]``).

        ``P(X(t) = n)``: Fader, Hardie & Lee (2005), eq. 8 (BG/NBD); Batislam et
        al. (2007), eq. 6 (MBG/NBD); Fader, Hardie & Shang (2010), eq. 16 with
        an empty history (Pareto/NBD).

        Parameters
        ----------
        n : int or array-like of int
            Numbers of repeat purchases.
        t : float or array-like
            Time units since the first purchase; broadcast against ``n``.
        covariates : mapping or pandas.DataFrame, optional
            For a model with covariates, the profile of the new customer.

        Returns
        -------
        float or numpy.ndarray
            A float when ``n`` and ``t`` are scalars, otherwise the broadcast array.

        Examples
        --------
        >>> import numpy as np, clv
        >>> rfm = clv.rfm_summary(clv.datasets.load_cdnow(), observation_end="1997-09-30")
        >>> bg = clv.BetaGeo().fit(rfm)
        >>> round(bg.probability_of_purchases(0, 39), 4)
        0.5743
        >>> bg.probability_of_purchases(np.arange(4), 39).round(4)
        array([0.5743, 0.1992, 0.0853, 0.0458])
        """
        value = self._predictor().probability_of_purchases(n, t, *self._profile_params(covariates))
        return float(value) if np.ndim(value) == 0 else value

    def probability_purchase_between(self, start: Any, end: Any, *, covariates: Any = None) -> Any:
        """P(a newly acquired customer makes at least one repeat purchase in ``(start, end]``).

        The building block of cohort retention tables: the share of a cohort
        expected to buy in period ``k`` after acquisition. BG/NBD and MBG/NBD:
        closed form (:func:`clv.kernels.betageo_family.probability_purchase_between`);
        Pareto/NBD: a one-dimensional integral
        (:func:`clv.kernels.paretonbd.probability_purchase_between`). With
        ``start = 0`` it is ``1 - P(X(end) = 0)`` (:meth:`probability_of_purchases`).

        Parameters
        ----------
        start, end : float or array-like
            Time units since the first purchase, ``0 <= start <= end``; broadcast together.
        covariates : mapping or pandas.DataFrame, optional
            For a model with covariates, the profile of the new customer.

        Returns
        -------
        float or numpy.ndarray
            A float when both are scalars, otherwise the broadcast array.

        Examples
        --------
        >>> import clv
        >>> rfm = clv.rfm_summary(clv.datasets.load_cdnow(), observation_end="1997-09-30")
        >>> bg = clv.BetaGeo().fit(rfm)
        >>> round(bg.probability_purchase_between(0, 39), 4), round(1 - bg.probability_of_purchases(0, 39), 4)
        (0.4257, 0.4257)
        >>> bg.probability_purchase_between([0, 4, 8], [4, 8, 12]).round(4)
        array([0.1449, 0.1221, 0.1075])
        """
        start, end = np.broadcast_arrays(np.asarray(start, dtype=float), np.asarray(end, dtype=float))
        if np.any(start < 0) or np.any(end < start):
            raise ValueError("need 0 <= start <= end")
        value = self._predictor().probability_purchase_between(start, end, *self._profile_params(covariates))
        return float(value) if np.ndim(value) == 0 else value

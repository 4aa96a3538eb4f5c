"""Shared behaviour of the transaction (purchase-count) models.

A concrete model names its kernel module; the kernels supply the maths. This
class turns RFM frames into kernel arrays and compresses customers to unique
``(x, t_x, T)`` tuples for fitting (the likelihood depends on nothing else).
The per-customer predictions come from
:class:`clv.models.customer_predictions.TransactionPredictions`, which the
posterior draws of :mod:`clv.bayes` share; this class supplies the kernel,
the parameters of each customer and the new-customer predictions.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any, ClassVar, Mapping, Sequence

import numpy as np
import pandas as pd

from clv.data.rfm_checks import resolve_weights
from clv.kernels.design import Column, dot
from clv.models.base import MLEModel
from clv.models.covariate_links import Group
from clv.models.customer_predictions import TransactionPredictions, compress
from clv.models.limits import betageo_limits

# betageo_limits and compress are re-exported from clv.models.limits and clv.models.customer_predictions
__all__ = ["TransactionModel", "betageo_limits", "compress"]


class TransactionModel(MLEModel, TransactionPredictions):
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
        if Z is not None and hasattr(self._kernel, "profile_fit_data"):
            extra["profile_data"] = self._kernel.profile_fit_data(x, t_x, T, w, extra["profile"], extra.get("groups"))
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
        # Pareto/NBD, whose Hessian costs gradients, and covariate models, whose per-row Hessians cost three times their
        # gradients, go on with Newton steps that hold this subsample's Hessian fixed (LikelihoodOptimiser._chord), which
        # need no precise start: the subsample's optimum is itself off by its sampling noise.
        chord = not self._analytic_hessian or "Z" in data
        res = self._minimise(self._start(), sub, gtol=1e-6 if chord else None)
        if not (res.success and np.all(np.isfinite(res.x))):
            return None
        if chord:
            hess = self._hessian(res.x, sub) * (data["n_unique"] / size)
            if np.all(np.isfinite(hess)):
                data["warm_hessian"] = hess
        return res.x

    def _loglik(self, params: np.ndarray, data: dict[str, Any]) -> float:
        values = self._rows(params, data) if "Z" in data else params
        return dot(data["w"], self._kernel.loglik(*values, data["x"], data["t_x"], data["T"]))

    def _row_derivatives(self, rows: list[Any], data: dict[str, Any], hessian: bool) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
        derivatives = getattr(self._kernel, "row_derivatives", None)
        if derivatives is None:
            return self._kernel.loglik(*rows, data["x"], data["t_x"], data["T"]), None, None
        options = {"groups": data["groups"]} if "groups" in data else {}
        return derivatives(*rows, data["x"], data["t_x"], data["T"], hessian=hessian, **options)  # type: ignore[no-any-return]

    def _profile_gradient(self, theta_p: np.ndarray, data: dict[str, Any]) -> tuple[float, np.ndarray] | None:
        kernel = getattr(self._kernel, "profile_loglik_grad", None)
        if kernel is None:
            return None
        return kernel(theta_p, data["x"], data["t_x"], data["T"], data["w"], data["profile"], data["profile_data"])  # type: ignore[no-any-return]

    def _loglik_grad(self, params: np.ndarray, data: dict[str, Any]) -> tuple[float, np.ndarray] | None:
        grad = getattr(self._kernel, "loglik_grad", None)
        return None if grad is None else grad(params, data["x_col"], data["t_x_col"], data["T_col"], data["w"])

    def _loglik_hessian(self, params: np.ndarray, data: dict[str, Any]) -> tuple[float, np.ndarray, np.ndarray] | None:
        hess = getattr(self._kernel, "loglik_hessian", None)
        return None if hess is None else hess(params, data["x_col"], data["t_x_col"], data["T_col"], data["w"])

    # -- new customers -------------------------------------------------------------

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
        value = self._prediction_kernel().expected_purchases_new(np.asarray(t, dtype=float), *self._profile_params(covariates))
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
        value = self._prediction_kernel().probability_of_purchases(n, t, *self._profile_params(covariates))
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
        value = self._prediction_kernel().probability_purchase_between(start, end, *self._profile_params(covariates))
        return float(value) if np.ndim(value) == 0 else value

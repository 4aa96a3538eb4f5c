"""Covariate bookkeeping shared by the maximum-likelihood models.

A model with covariates states, for each *group* of coefficients (``purchase``,
``dropout``, ``spend``), the covariate columns of the group and the parameters
they move, each with a sign (Fader & Hardie 2007; see
:mod:`clv.kernels.covariates`). This module turns that statement and the
fitting data into coefficient names, the link map and per-customer parameters.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from clv.data.covariates import CovariateEncoding
from clv.kernels import covariates as link
from clv.kernels.design import Column, Groups

__all__ = ["CovariateLinks", "Group", "design_scale", "model_at"]

Group = tuple[str, tuple[str, ...], tuple[tuple[str, int], ...]]  # (name, columns, ((parameter, sign), ...))


def design_scale(Z: np.ndarray) -> np.ndarray:
    """Scale of each design column as the optimiser and the sampler see it: 1 for a 0/1 indicator, else its standard deviation."""
    binary = np.all((Z == 0) | (Z == 1), axis=0)
    spread = np.ones(Z.shape[1])
    if len(Z) > 1 and not binary.all():
        spread[~binary] = Z[:, ~binary].std(axis=0)
    return np.where(binary | ~(spread > 0) | ~np.isfinite(spread), 1.0, spread)


def model_at(cls: type, values: Mapping[str, float], covariates: Mapping[str, Any] | None = None, *, time_unit: str | None = None) -> Any:
    """A model of class ``cls`` at given parameters, with covariate coefficients when ``covariates`` is given (no fit behind it).

    ``covariates`` is ``{"encoding": CovariateEncoding.to_dict(), "settings":
    {"purchase_covariates": [...], ...}}`` and ``values`` then holds the
    coefficients too, by name (``purchase:<col>``, ...). This is how a
    posterior draw of a Bayesian covariate model becomes a model whose
    predictions use each customer's covariates. Without ``covariates`` it is
    ``cls.from_params``.
    """
    if not covariates:
        return cls.from_params(values, time_unit=time_unit)
    from clv.models.results import FitResult

    settings = {**cls().get_params(), **{k: list(v) for k, v in covariates["settings"].items() if k in cls().get_params()}}
    template = cls(**settings)
    template._restore_covariates(covariates["encoding"])
    names = (*cls.param_names, *template.coef_names_)
    k = len(names)
    result = FitResult(model=cls.__name__, param_names=names, estimates=np.array([float(values[p]) for p in names]),
                       cov_log=np.full((k, k), np.nan), log_likelihood=float("nan"), n_obs=float("nan"), n_unique=0, converged=False,
                       iterations=0, message="parameters given, not fitted", linear=tuple(template.coef_names_))
    return cls.from_dict({"settings": settings, "result": result.to_dict(), "time_unit": time_unit, "covariates": covariates["encoding"]})


@dataclass(frozen=True)
class CovariateLinks:
    """The covariate groups of a model and the encoding of their columns, learnt at ``fit``."""

    param_names: tuple[str, ...]
    groups: tuple[Group, ...]
    encoding: CovariateEncoding

    @classmethod
    def learn(cls, param_names: Sequence[str], groups: Sequence[Group], frame: pd.DataFrame) -> CovariateLinks:
        """Learn the encoding of every covariate column of ``groups`` from ``frame``."""
        columns = [c for _, cols, _ in groups for c in cols]
        return cls(tuple(param_names), tuple(groups), CovariateEncoding.learn(frame, columns))

    def _design_columns(self) -> dict[str, list[int]]:
        out: dict[str, list[int]] = {}
        position = 0
        for col in self.encoding.columns:
            width = len(self.encoding.levels[col]) - 1 if col in self.encoding.levels else 1
            out[col] = list(range(position, position + width))
            position += width
        return out

    @property
    def coef_names(self) -> tuple[str, ...]:
        """``group:name`` for each coefficient, e.g. ``purchase:region=north``."""
        names = self.encoding.names
        where = self._design_columns()
        return tuple(f"{group}:{names[c]}" for group, cols, _ in self.groups for col in cols for c in where[col])

    def coef_columns(self) -> list[int]:
        """The design column of each coefficient, in the order of :attr:`coef_names`."""
        where = self._design_columns()
        return [c for _, cols, _ in self.groups for col in cols for c in where[col]]

    def link_map(self) -> np.ndarray:
        """The map ``M`` of :func:`clv.kernels.covariates.link_map` for these groups."""
        where = self._design_columns()
        k = len(self.param_names)
        terms = []
        p = k
        for _, cols, targets in self.groups:
            for col in cols:
                for c in where[col]:
                    terms.extend((self.param_names.index(param), c, p, float(sign)) for param, sign in targets)
                    p += 1
        return link.link_map(k, len(self.encoding.names), p, terms)

    def profile_covariance(self, cov: np.ndarray, z: np.ndarray) -> np.ndarray:
        """Covariance of one profile's log-parameters from that of the fitted coordinates ``u = (log theta, g)``.

        ``log theta_pj = (1, z) @ M_j @ u`` is linear in ``u``
        (:mod:`clv.kernels.covariates`), so the covariance is ``A cov A'``
        with ``A_j = (1, z) M_j``; ``z`` is the profile's design row.
        """
        A = np.einsum("q,jqp->jp", np.r_[1.0, np.asarray(z, dtype=float).reshape(-1)], self.link_map())
        return A @ np.asarray(cov, dtype=float) @ A.T

    def design(self, frame: pd.DataFrame) -> np.ndarray:
        """Design matrix of the covariate columns of ``frame`` (see :class:`clv.data.covariates.CovariateEncoding`)."""
        return self.encoding.transform(frame)

    def row_params(self, theta: np.ndarray, Z: np.ndarray, M: np.ndarray | None = None) -> list[Any]:
        """Each parameter per customer: an array where covariates move it, the plain estimate (a float) elsewhere."""
        M = self.link_map() if M is None else M
        rows = link.row_params(np.asarray(theta, dtype=float), M, Z)
        moved = np.abs(M[:, 1:, :]).sum(axis=(1, 2)) > 0
        return [rows[:, j] if moved[j] else float(theta[j]) for j in range(len(self.param_names))]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready encoding (the groups follow from the model's settings)."""
        return self.encoding.to_dict()


class CovariateSupport:
    """Mixin of :class:`clv.models.base.MLEModel`: covariates learnt at ``fit`` and the chain rule of the fit.

    A model lists its groups in :meth:`_covariate_groups` and supplies
    per-customer derivatives in :meth:`_row_derivatives`; the gradient and the
    Hessian in the optimiser's coordinates then follow from
    :mod:`clv.kernels.covariates`.
    """

    param_names: tuple[str, ...]

    def _covariate_groups(self) -> list[Group]:
        """The model's covariate groups (name, columns, ((parameter, sign), ...)); empty without covariates."""
        return []

    def _learn_covariates(self, rfm: pd.DataFrame) -> None:
        groups = [g for g in self._covariate_groups() if g[1]]
        self.links_: CovariateLinks | None = CovariateLinks.learn(self.param_names, groups, rfm) if groups else None
        self.coef_names_: tuple[str, ...] = self.links_.coef_names if self.links_ is not None else ()

    def _restore_covariates(self, encoding: dict[str, Any] | None) -> None:
        groups = [g for g in self._covariate_groups() if g[1]]
        if groups and encoding is not None:
            self.links_ = CovariateLinks(self.param_names, tuple(groups), CovariateEncoding.from_dict(encoding))
            self.coef_names_ = self.links_.coef_names
        else:
            self.links_, self.coef_names_ = None, ()

    def _design_matrix(self, rfm: pd.DataFrame) -> np.ndarray | None:
        """Covariate design of ``rfm`` (``None`` without covariates)."""
        links = getattr(self, "links_", None)
        return None if links is None else links.design(rfm)

    def _fit_design_matrix(self, rfm: pd.DataFrame) -> np.ndarray | None:
        """The design the optimiser sees: each numeric column divided by its standard deviation over ``rfm``.

        Coefficients of a column in the hundreds (an order value) are then of
        the same order as the others, so the optimiser's steps do not overflow
        ``exp(g z)``; :meth:`_unscale_result` maps the optimum and its
        covariance back to the columns as given. Indicator columns keep their
        0/1 values. ``_coef_scale`` holds the factor of each coefficient.
        """
        Z = self._design_matrix(rfm)
        if Z is None:
            self._coef_scale = None
            return None
        scale = design_scale(Z)
        self._coef_scale = scale[self.links_.coef_columns()]  # type: ignore[union-attr]
        return Z / scale

    def _unscale_result(self, result: Any) -> Any:
        """The fit on the scaled design (:meth:`_fit_design_matrix`) in the units of the columns as given."""
        scale = getattr(self, "_coef_scale", None)
        if scale is None or np.all(scale == 1.0):
            return result
        k = len(self.param_names)
        factor = np.r_[np.ones(k), 1.0 / scale]
        estimates = np.asarray(result.estimates, dtype=float).copy()
        estimates[k:] = estimates[k:] * factor[k:]
        return replace(result, estimates=estimates, cov_log=result.cov_log * np.outer(factor, factor))

    def _covariate_fit_data(self, Z: np.ndarray) -> dict[str, Any]:
        assert self.links_ is not None
        profiles = Groups.of(np.zeros(len(Z), dtype=np.intp), *(Column.of(z).index for z in Z.T))
        Z1 = np.column_stack([np.ones(len(profiles.first)), Z[profiles.first]])
        return {"Z": Z, "Z1": Z1, "M": self.links_.link_map(), "profile": profiles.index}

    def _row_derivatives(self, rows: list[Any], data: dict[str, Any], hessian: bool) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
        """Per-customer log-likelihood, gradient ``(n, k)`` and Hessian ``(n, k, k)`` at per-customer parameters ``rows``.

        The gradient may be ``None`` (numerical derivatives are used then).
        """
        raise NotImplementedError

    def _rows(self, theta: np.ndarray, data: dict[str, Any]) -> list[Any]:
        """Each row's parameters: computed once per covariate profile (``Z1``), then looked up by the row's profile."""
        assert self.links_ is not None
        per_profile = self.links_.row_params(theta, data["Z1"][:, 1:], data["M"])
        return [v[data["profile"]] if isinstance(v, np.ndarray) else v for v in per_profile]

    def _profile_gradient(self, theta_p: np.ndarray, data: dict[str, Any]) -> tuple[float, np.ndarray] | None:
        """Total log-likelihood and gradient per covariate profile ``(P, k)`` at per-profile parameters ``theta_p`` (natural scale).

        ``None`` when the model has no such kernel; the derivatives then come
        from :meth:`_row_derivatives`.
        """
        return None

    def _covariate_derivatives_by_profile(self, theta: np.ndarray, data: dict[str, Any],
                                          hessian: bool) -> tuple[float, np.ndarray, np.ndarray | None] | None:
        """The chain rule on per-profile gradients; the per-profile Hessians by differences (:func:`clv.kernels.covariates.profile_hessian`)."""
        assert self.links_ is not None
        M, Z1 = data["M"], data["Z1"]
        theta_p = np.column_stack([np.broadcast_to(v, (len(Z1),)) for v in self.links_.row_params(theta, Z1[:, 1:], M)])
        first = self._profile_gradient(theta_p, data)
        if first is None:
            return None
        ll, g_tot = first

        def gradient_log(log_theta: np.ndarray) -> np.ndarray:
            at = np.exp(log_theta)
            return at * self._profile_gradient(at, data)[1]  # type: ignore[index]

        h_tot = link.profile_hessian(gradient_log, np.log(theta_p)) if hessian else None
        return ll, link.chain_gradient(M, Z1, theta_p * g_tot), (link.chain_hessian(M, Z1, h_tot) if h_tot is not None else None)

    def _covariate_derivatives(self, theta: np.ndarray, data: dict[str, Any], hessian: bool) -> tuple[float, np.ndarray, np.ndarray | None] | None:
        """Total log-likelihood, gradient and Hessian in ``u = (log theta, g)`` by the chain rule."""
        by_profile = self._covariate_derivatives_by_profile(theta, data, hessian)
        if by_profile is not None:
            return by_profile
        rows = self._rows(theta, data)
        ll, grad, hess = self._row_derivatives(rows, data, hessian)
        if grad is None or (hessian and hess is None):
            return None
        n = len(data["Z"])
        theta_rows = np.column_stack([np.broadcast_to(v, (n,)) for v in rows])
        w, M, Z1 = data["w"], data["M"], data["Z1"]
        g_tot, h_tot = link.profile_totals(theta_rows, grad, hess if hessian else None, w, data["profile"], len(Z1))
        total = float(np.einsum("i,i->", w, ll))
        return total, link.chain_gradient(M, Z1, g_tot), (link.chain_hessian(M, Z1, h_tot) if hessian else None)

"""Static customer covariates in the hierarchical Bayesian models (Fader & Hardie 2007 inside the group pooling).

Customer ``i`` of group ``g`` has parameters ``theta_gj exp(sign_j c . z_i)``:
the group-level parameters ``theta_g`` are pooled across groups as without
covariates, and the coefficients ``c`` are **shared by every group**, with
``Normal(0, scale)`` priors (:data:`COEFFICIENT_PRIOR`, overridable as
``priors={"coefficients": {"scale": ...}}``) on the coefficient per standard
deviation of each numeric column (per level for an indicator), the scale the
sampler sees. The links and signs are those of the maximum-likelihood models
(:mod:`clv.models.covariate_links`): ``purchase:<col>`` moves ``alpha``
(BG/NBD) with a minus sign, ``dropout:<col>`` moves ``a`` and ``b`` together,
``spend:<col>`` moves ``v`` (Gamma-Gamma), so a coefficient means the same
here as in :class:`clv.BetaGeo` and :class:`clv.GammaGamma`.

:class:`CovariateLogLike` is the likelihood: the kernels' per-customer
derivatives (``row_derivatives``) with the chain rule of
:mod:`clv.kernels.covariates`, summed per covariate profile, so the
log-density is still one kernel call per group and leapfrog step.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence

import numpy as np
import pandas as pd
import pytensor.tensor as pt
from pytensor.graph.basic import Apply

from clv.bayes.likelihood import GroupedLogLike
from clv.errors import DataError
from clv.kernels import covariates as link
from clv.kernels.design import Column, Groups
from clv.models.covariate_links import CovariateLinks, Group, design_scale

__all__ = ["COEFFICIENT_PRIOR", "CovariateLogLike", "customer_params", "learn_links", "profile_data"]

COEFFICIENT_PRIOR: dict[str, float] = {"loc": 0.0, "scale": 1.0}
"""Prior of each coefficient per standard deviation of its column (per level for an indicator): a factor within e^+-2 a priori."""


def learn_links(param_names: Sequence[str], groups: Sequence[Group], rfm: pd.DataFrame) -> tuple[CovariateLinks | None, np.ndarray | None]:
    """The encoding of the covariate columns and the scale of each design column (1 for indicators, else the sd)."""
    groups = [g for g in groups if g[1]]
    if not groups:
        return None, None
    links = CovariateLinks.learn(param_names, groups, rfm)
    return links, design_scale(links.design(rfm))


def profile_data(Z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(profile index per row, Z1 = (1, z) per profile)`` of one group's rows."""
    profiles = Groups.of(np.zeros(len(Z), dtype=np.intp), *(Column.of(z).index for z in Z.T))
    return profiles.index, np.column_stack([np.ones(len(profiles.first)), Z[profiles.first]])


class CovariateLogLike(GroupedLogLike):
    """:class:`GroupedLogLike` with one more input, the shared coefficients (on the scaled design).

    Parameters
    ----------
    row_derivatives : callable
        ``row_derivatives(*rows, *columns, hessian=False) -> (ll, grad, _)`` per customer, ``rows`` the parameters
        of each row (floats where no covariate acts).
    data : sequence of tuples
        Per group ``(columns, weights, Z, profile, Z1)``: the compressed kernel columns, their weights, the scaled
        design, the profile index of each row and ``(1, z)`` per profile (:func:`profile_data`).
    links : CovariateLinks
        Which parameter each coefficient moves, with its sign.
    """

    def __init__(self, row_derivatives: Callable[..., Any], data: Sequence[tuple[Any, ...]], links: CovariateLinks) -> None:
        super().__init__(row_derivatives, data)
        self.links = links
        self.M = links.link_map()

    def make_node(self, *params: Any) -> Any:
        inputs = [pt.as_tensor_variable(p, dtype="float64") for p in params]
        if any(i.ndim != 1 for i in inputs):
            raise TypeError("CovariateLogLike takes one vector per parameter and the coefficient vector")
        return Apply(self, inputs, [pt.dscalar()] + [pt.dvector() for _ in inputs])

    def perform(self, node: Any, inputs: Sequence[np.ndarray], outputs: Any) -> None:
        values = [np.asarray(v, dtype=float) for v in inputs]
        given = len(values) > len(self.links.param_names)  # without the coefficients (a group's own mode): all zero
        group_params = values[:-1] if given else values
        coefs = values[-1] if given else np.zeros(len(self.links.coef_names))
        params = np.stack(group_params, axis=1)
        k = params.shape[1]
        total, grads, g_coef = 0.0, np.zeros_like(params), np.zeros(len(coefs))
        with np.errstate(all="ignore"):  # extreme proposals give -inf/nan, which NUTS rejects
            for g, (columns, w, Z, profile, Z1) in enumerate(self.data):
                theta = np.r_[params[g], coefs]
                rows = self.links.row_params(theta, Z, self.M)
                ll, grad, _ = self.derivatives(*rows, *columns, hessian=False)
                theta_rows = np.column_stack([np.broadcast_to(v, (len(w),)) for v in rows])
                g_tot, _ = link.profile_totals(theta_rows, grad, None, w, profile, len(Z1))
                chain = link.chain_gradient(self.M, Z1, g_tot)  # in (log theta_g, c)
                total += float(np.dot(w, ll))
                grads[g] = chain[:k] / params[g]
                g_coef += chain[k:]
        if not (np.isfinite(total) and np.all(np.isfinite(grads)) and np.all(np.isfinite(g_coef))):
            total, grads[:], g_coef[:] = -np.inf, 0.0, 0.0
        outputs[0][0] = np.asarray(total)
        for i in range(k):
            outputs[i + 1][0] = grads[:, i].copy()
        if given:
            outputs[k + 1][0] = g_coef

    def __str__(self) -> str:
        return f"CovariateLogLike({len(self.data)} groups, {len(self.links.coef_names)} coefficients)"


def customer_params(params: Mapping[str, np.ndarray], names: Sequence[str], codes: np.ndarray, coefs: np.ndarray, links: CovariateLinks,
                    Z: np.ndarray) -> dict[str, np.ndarray]:
    """Per-customer parameter draws ``(n_draws, n_customers)``: group draws times ``exp(sign c . z_i)`` with each draw's ``c``.

    ``coefs`` are the draws of the coefficients in the columns' own units, ``(n_draws, n_coefficients)``.
    """
    M = links.link_map()
    k = len(names)
    out = {}
    for j, name in enumerate(names):
        base = params[name][:, codes]
        weights = M[j, 1:, k:]  # (design column, coefficient) signs for parameter j
        if not np.any(weights):
            out[name] = base
            continue
        shift = np.einsum("iq,qp,dp->di", Z, weights, coefs)
        out[name] = base * np.exp(shift)
    return out


def check_no_covariates(model: Any, what: str) -> None:
    """Refuse plain per-draw models of a model with covariates: without a customer's traits they would not be anybody's parameters."""
    if getattr(model, "links_", None) is not None:
        raise DataError(f"{type(model).__name__} with covariates: {what} needs each customer's covariates; use the model's "
                        "predictions, or group_param_draws (each draw with its coefficients, as clv report --model bayes "
                        "--covariates does)")


_Z = "z:"  # prefix of the design columns among a model's columns


class CovariateBayes:
    """Mixin of the Bayesian models: covariates learnt at ``fit``, shared coefficients, per-customer predictions.

    The design columns (scaled, see :func:`learn_links`) join the model's
    columns as ``z:<name>``, so they are compressed and hashed with the
    others; :meth:`_loglik_op` hands them to :class:`CovariateLogLike`.
    """

    param_names: tuple[str, ...]
    links_: CovariateLinks | None = None
    _scale: np.ndarray | None = None

    def _covariate_groups(self) -> list[Group]:
        return []

    def _learn(self, rfm: pd.DataFrame) -> None:
        self.links_, self._scale = learn_links(self.param_names, self._covariate_groups(), rfm)

    def _base_columns(self, rfm: pd.DataFrame) -> dict[str, np.ndarray]:
        """The model's own checked columns (the kernel's), without covariates."""
        raise NotImplementedError

    def _columns(self, rfm: pd.DataFrame) -> dict[str, np.ndarray]:
        columns = self._base_columns(rfm)
        if self.links_ is None:
            return columns
        Z = self.links_.design(rfm) / self._scale
        return {**columns, **{f"{_Z}{name}": Z[:, c] for c, name in enumerate(self.links_.encoding.names)}}

    def _prepare(self, rfm: pd.DataFrame, time_resolution: float | None = None) -> dict[str, Any]:
        self._learn(rfm)
        return super()._prepare(rfm, time_resolution)  # type: ignore[misc]

    def _coef_scale(self) -> np.ndarray:
        assert self.links_ is not None and self._scale is not None
        return self._scale[self.links_.coef_columns()]

    def _extra_inputs(self, data: Mapping[str, Any]) -> list[Any]:
        if self.links_ is None:
            return []
        import pymc as pm

        from clv.bayes.priors import resolve_priors

        prior = resolve_priors(self.default_priors, self.priors)["coefficients"]  # type: ignore[attr-defined]
        model = pm.modelcontext(None)
        model.add_coord("coefficient", list(self.links_.coef_names))
        scaled = pm.Normal("coefficients_scaled", prior["loc"], prior["scale"], dims="coefficient")
        pm.Deterministic("coefficients", scaled / self._coef_scale(), dims="coefficient")
        return [scaled]

    def _loglik_op(self, data: Mapping[str, Any]) -> Any:
        if self.links_ is None:
            return super()._loglik_op(data)  # type: ignore[misc]
        codes = np.asarray(data["codes"], dtype=np.int64)
        z_names = [k for k in data["columns"] if k.startswith(_Z)]
        kernel_names = [k for k in data["columns"] if not k.startswith(_Z)]
        per_group = []
        for g in range(len(data["levels"])):
            rows = np.flatnonzero(codes == g)
            Z = np.column_stack([data["columns"][k][rows] for k in z_names])
            profile, Z1 = profile_data(Z)
            per_group.append(([data["columns"][k][rows] for k in kernel_names], data["weights"][rows], Z, profile, Z1))
        return CovariateLogLike(self._row_kernel, per_group, self.links_)

    def _free_names(self) -> list[str]:
        names = super()._free_names()  # type: ignore[misc]
        return [*names, "coefficients_scaled"] if self.links_ is not None else names

    def get_params(self) -> dict[str, Any]:
        return {**super().get_params(), **{f"{name}_covariates": list(cols) for name, cols, _ in self._covariate_groups()}}  # type: ignore[misc]

    def fitted_state(self) -> dict[str, Any]:
        state = super().fitted_state()  # type: ignore[misc]
        if self.links_ is not None:
            state["covariates"] = {"encoding": self.links_.to_dict(), "scale": [float(v) for v in self._scale]}  # type: ignore[union-attr]
        return state

    def restore_state(self, idata: Any, state: Mapping[str, Any]) -> None:
        super().restore_state(idata, state)  # type: ignore[misc]
        saved = state.get("covariates")
        if saved is None:  # fit passes its own state (the covariates were learnt in _prepare); a file without covariates has none
            return
        from clv.data.covariates import CovariateEncoding

        groups = tuple(g for g in self._covariate_groups() if g[1])
        self.links_ = CovariateLinks(self.param_names, groups, CovariateEncoding.from_dict(saved["encoding"]))
        self._scale = np.asarray(saved["scale"], dtype=float)

    def coefficients(self, interval: float = 0.9) -> pd.DataFrame:
        """Posterior mean, sd and central ``interval`` of each covariate coefficient (in the columns' own units).

        Parameters
        ----------
        interval : float
            Coverage of the interval (0.9: 5% to 95% quantiles).

        Returns
        -------
        pandas.DataFrame
            Indexed by coefficient name (``purchase:<col>``, ...), columns ``mean, sd, lower, upper``.
        """
        self._check_fitted()  # type: ignore[attr-defined]
        if self.links_ is None:
            return pd.DataFrame(columns=["mean", "sd", "lower", "upper"])
        draws = np.asarray(self.idata_.posterior["coefficients"].values)  # type: ignore[attr-defined]
        flat = draws.reshape(-1, draws.shape[-1])
        tail = (1.0 - interval) / 2.0
        lower, upper = np.quantile(flat, [tail, 1.0 - tail], axis=0)
        return pd.DataFrame({"mean": flat.mean(axis=0), "sd": flat.std(axis=0, ddof=1), "lower": lower, "upper": upper},
                            index=pd.Index(self.links_.coef_names, name="coefficient"))

    def _predict(self, rfm: pd.DataFrame, fn: Any, columns: list[np.ndarray], *, n_draws: int | None, interval: float | None,
                 name: str) -> Any:
        """Predictions with each customer's covariates: one pseudo-group per distinct (group, covariate profile)."""
        if self.links_ is None:
            return super()._predict(rfm, fn, columns, n_draws=n_draws, interval=interval, name=name)  # type: ignore[misc]
        from clv.bayes.predictions import evaluate, group_codes, thin_indices

        params, chains, draws = self._draws(n_draws)  # type: ignore[attr-defined]
        post = self.idata_.posterior  # type: ignore[attr-defined]
        keep = thin_indices(post.sizes["draw"], post.sizes["chain"], n_draws)
        coefs = np.asarray(post["coefficients"].transpose("chain", "draw", "coefficient").values)[:, keep, :]
        codes = group_codes(rfm, self.group, list(self.groups_))  # type: ignore[attr-defined]
        Z = self.links_.design(rfm)
        key, inverse = np.unique(np.column_stack([codes, Z]), axis=0, return_inverse=True)
        n_chain, n_draw = coefs.shape[:2]
        flat = {k: v.reshape(n_chain * n_draw, -1) for k, v in params.items()}
        rows = customer_params(flat, self.param_names, key[:, 0].astype(np.int64), coefs.reshape(n_chain * n_draw, -1), self.links_,
                               key[:, 1:])
        pseudo = {k: v.reshape(n_chain, n_draw, -1) for k, v in rows.items()}
        return evaluate(fn, pseudo, inverse.reshape(-1), columns, index=rfm.index, chains=chains, draws=draws, interval=interval,
                        name=name)

    def _with_coefficients(self, frame: pd.DataFrame) -> pd.DataFrame:
        """``frame`` (draws in long form, ``draw`` the flat chain x draw position) with each draw's coefficients as columns.

        The coefficients are in the columns' own units, named as in the
        maximum-likelihood models (``purchase:<col>``, ...); ``attrs["covariates"]``
        holds what rebuilds such a model at a draw (:func:`clv.models.covariate_links.model_at`):
        the encoding and the covariate settings.
        """
        if self.links_ is None:
            return frame
        post = self.idata_.posterior  # type: ignore[attr-defined]
        coefs = np.asarray(post["coefficients"].transpose("chain", "draw", "coefficient").values)
        flat = coefs.reshape(-1, coefs.shape[-1])[frame["draw"].to_numpy(dtype=np.int64)]
        out = frame.assign(**{name: flat[:, j] for j, name in enumerate(self.links_.coef_names)})
        out.attrs["covariates"] = {"encoding": self.links_.to_dict(),
                                   "settings": {f"{name}_covariates": list(cols) for name, cols, _ in self._covariate_groups()}}
        return out

    def group_param_draws(self, n_draws: int, *, seed: int) -> pd.DataFrame:
        """Group-level draws (:meth:`clv.bayes.base.BayesianModel.group_param_draws`) with the shared coefficients of each draw.

        With covariates a draw's parameters are those of a customer at the
        reference profile (every design column 0); the coefficient columns
        move them to any other customer (:func:`clv.models.covariate_links.model_at`).
        """
        return self._with_coefficients(super().group_param_draws(n_draws, seed=seed))  # type: ignore[misc]

    def population_param_draws(self, n_draws: int, *, seed: int) -> pd.DataFrame:
        """Population-level draws (a new group) with the shared coefficients of each draw (see :meth:`group_param_draws`)."""
        return self._with_coefficients(super().population_param_draws(n_draws, seed=seed))  # type: ignore[misc]

    def draw_models(self, n_draws: int | None = 200) -> list[Any]:
        check_no_covariates(self, "draw_models")
        return super().draw_models(n_draws)  # type: ignore[misc]

"""Fitting, diagnostics, persistence and group tables shared by the Bayesian models.

A concrete model names its natural parameters, the quantities it samples
(with their links and default priors) and how they map to the parameters
(``_natural``), and points at the MLE kernel that computes its weighted
log-likelihood and gradient (``_kernel``, ``_kernel_data``). This class
compresses an RFM frame to distinct ``(group, ...)`` tuples with counts,
builds the PyMC model around the kernel (group-level quantities from
:mod:`clv.bayes.priors`, a :func:`pymc.Potential` holding
:class:`clv.bayes.likelihood.GroupedLogLike`), samples it, and offers the
posterior as tables.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import warnings
from typing import Any, ClassVar, Iterator, Mapping, Sequence

import numpy as np
import pandas as pd

from clv.bayes.centring import centring_weights, group_modes
from clv.bayes.convergence import Diagnostics, diagnose
from clv.bayes.laplace import laplace_nuts
from clv.bayes.predictions import group_codes, group_values, thin_indices
from clv.bayes.priors import free_variable_names, group_parameters, resolve_priors
from clv.checks import check_interval
from clv.errors import DataError, NotFittedError

__all__ = ["SAMPLERS", "BayesianModel"]

SAMPLERS = ("pymc", "nutpie")


@contextlib.contextmanager
def _pymc_logging(verbose: bool) -> Iterator[None]:
    """Silence PyMC's INFO chatter unless progress was asked for (restored afterwards)."""
    logger = logging.getLogger("pymc")
    previous = logger.level
    if not verbose:
        logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(previous)


class BayesianModel:
    """Base class of the PyMC models.

    Parameters
    ----------
    group : str or None
        Column of the RFM frame naming each customer's group (e.g. the
        acquisition channel). ``None`` fits the plain, non-hierarchical model.
    priors : mapping, optional
        Overrides of the default priors, ``{param: {"loc", "scale", "spread", "spread_sd"}}``
        (see :mod:`clv.bayes.priors`; ``spread`` is the median of the group
        spread's log-normal prior, ``spread_sd`` its sd on the log scale).
    sampler : {"pymc", "nutpie"}
        NUTS implementation: PyMC's own, or nutpie (when installed).
    progressbar : bool
        Show the sampler's progress bar and messages.
    target_accept : float
        Target acceptance rate of NUTS.
    centered_from : "auto", int or None
        How far each group's sampled quantities are centred (see
        :meth:`centering`): ``"auto"`` (default) partially centres each group
        and quantity by how tightly the group's data pin it down; an integer
        centres every quantity of the groups with at least that many
        customers; ``None`` makes every group non-centred.
    """

    param_names: ClassVar[tuple[str, ...]] = ()
    links: ClassVar[Mapping[str, str]] = {}
    default_priors: ClassVar[Mapping[str, Mapping[str, float]]] = {}

    def __init__(
        self,
        group: str | None = None,
        *,
        priors: Mapping[str, Mapping[str, float]] | None = None,
        sampler: str = "pymc",
        progressbar: bool = False,
        target_accept: float = 0.9,
        centered_from: int | str | None = "auto",
    ) -> None:
        self.group = group
        self.centered_from = centered_from
        self.priors = priors
        self.sampler = sampler
        self.progressbar = progressbar
        self.target_accept = target_accept

    # -- what a model provides -------------------------------------------------
    def _columns(self, rfm: pd.DataFrame) -> dict[str, np.ndarray]:
        """Checked model columns (without the group) of every customer."""
        raise NotImplementedError

    def _usable(self, columns: Mapping[str, np.ndarray]) -> np.ndarray:
        """Rows that enter the likelihood."""
        return np.ones(len(next(iter(columns.values()))), dtype=bool)

    def _natural(self, sampled: Mapping[str, Any]) -> dict[str, Any]:
        """Natural parameters (PyTensor expressions) from the sampled link-scale quantities."""
        raise NotImplementedError

    @staticmethod
    def _kernel(params: np.ndarray, *data: Any) -> tuple[float, np.ndarray]:
        """The MLE kernel: weighted log-likelihood and gradient in ``param_names`` order for one group."""
        raise NotImplementedError

    def _kernel_data(self, columns: Mapping[str, np.ndarray], weights: np.ndarray) -> tuple[Any, ...]:
        """Extra arguments of :meth:`_kernel` for one group's compressed tuples."""
        raise NotImplementedError

    # -- settings and state ----------------------------------------------------
    def get_params(self) -> dict[str, Any]:
        """Settings given to ``__init__`` (scikit-learn convention)."""
        return {
            "group": self.group,
            "priors": {k: dict(v) for k, v in self.priors.items()} if self.priors else None,
            "sampler": self.sampler,
            "progressbar": self.progressbar,
            "target_accept": self.target_accept,
            "centered_from": self.centered_from,
        }

    def __repr__(self) -> str:
        state = f"{len(self.groups_)} group(s), fitted" if hasattr(self, "idata_") else "not fitted"
        return f"{type(self).__name__}(group={self.group!r}, {state})"

    @property
    def idata(self) -> Any:
        """The posterior as ArviZ ``InferenceData``."""
        self._check_fitted()
        return self.idata_

    def _check_fitted(self) -> None:
        if not hasattr(self, "idata_"):
            raise NotFittedError(f"{type(self).__name__} is not fitted yet: call fit(rfm, ...) or clv.bayes.load(path)")

    # -- data --------------------------------------------------------------------
    def _levels(self, rfm: pd.DataFrame) -> list[str]:
        if self.group is None:
            return ["all"]
        return sorted(pd.unique(group_values(rfm, self.group).astype(str)))

    def data_hash(self, rfm: pd.DataFrame) -> str:
        """SHA-256 of the columns the model reads (group and model columns, with the index)."""
        columns = self._columns(rfm)
        frame = pd.DataFrame(columns, index=rfm.index)
        if self.group is not None:
            frame.insert(0, "__group", rfm[self.group].astype(str).to_numpy())
        hashed = pd.util.hash_pandas_object(frame, index=True).to_numpy()
        return hashlib.sha256(hashed.tobytes()).hexdigest()

    def _coarsen(self, columns: dict[str, np.ndarray], resolution: float) -> dict[str, np.ndarray]:
        """Round time columns to multiples of ``resolution`` (models without time columns refuse)."""
        raise ValueError(f"{type(self).__name__} has no time columns: time_resolution does not apply")

    def _prepare(self, rfm: pd.DataFrame, time_resolution: float | None = None) -> dict[str, Any]:
        from clv.models.customer_predictions import compress

        levels = self._levels(rfm)
        columns = self._columns(rfm)
        if time_resolution is not None:
            if not np.isfinite(time_resolution) or time_resolution <= 0:
                raise ValueError(f"time_resolution must be a positive number of time units, got {time_resolution}")
            columns = self._coarsen(columns, float(time_resolution))
        codes = group_codes(rfm, self.group, levels)
        keep = self._usable(columns)
        if not keep.any():
            raise DataError(f"{type(self).__name__}: no customer is usable for fitting")
        names = list(columns)
        (ucodes, *ucols), weights, _ = compress(codes[keep], *(columns[k][keep] for k in names), weights=np.ones(int(keep.sum())))
        sizes = np.bincount(codes[keep], minlength=len(levels))
        if (sizes == 0).any():
            empty = [lv for lv, n in zip(levels, sizes) if n == 0]
            raise DataError(f"column '{self.group}': no usable customer in group(s) {empty}")
        return {
            "levels": levels,
            "codes": ucodes,
            "weights": weights,
            "columns": dict(zip(names, ucols)),
            "sizes": sizes,
            "n_excluded": int((~keep).sum()),
        }

    # -- model -------------------------------------------------------------------
    def build_model(self, rfm: pd.DataFrame) -> Any:
        """The PyMC model for ``rfm`` (useful for prior checks and graph inspection)."""
        return self._build(self._prepare(rfm))

    def _build(self, data: Mapping[str, Any]) -> Any:
        import pymc as pm

        hierarchical = self.group is not None
        priors = resolve_priors(self.default_priors, self.priors)
        loglik = self._loglik_op(data)
        centered = self._centered(loglik, priors, data) if hierarchical else None
        with pm.Model(coords={"group": data["levels"]}) as model:
            natural = self._natural(group_parameters(priors, self.links, hierarchical, centered))
            params = [pm.Deterministic(k, natural[k], dims="group") for k in self.param_names]
            pm.Potential("loglik", loglik(*params, *self._extra_inputs(data))[0])
        return model

    def _extra_inputs(self, data: Mapping[str, Any]) -> list[Any]:
        """More inputs of the likelihood Op after the group parameters, created in the model context (covariate coefficients)."""
        return []

    def _loglik_op(self, data: Mapping[str, Any]) -> Any:
        from clv.bayes.likelihood import GroupedLogLike

        codes = np.asarray(data["codes"], dtype=np.int64)
        per_group = []
        for g in range(len(data["levels"])):
            rows = np.flatnonzero(codes == g)
            per_group.append(self._kernel_data({k: v[rows] for k, v in data["columns"].items()}, data["weights"][rows]))
        return GroupedLogLike(self._kernel, per_group)

    def _centered(self, loglik: Any, priors: Mapping[str, Mapping[str, float]], data: Mapping[str, Any]) -> dict[str, tuple[np.ndarray, float]]:
        """Per sampled quantity, each group's centring weight and the typical spread (see :meth:`centering`)."""
        n_groups = len(data["levels"])
        if self.centered_from is None:
            return {k: (np.zeros(n_groups), 1.0) for k in self.links}
        if self.centered_from != "auto":
            flags = (np.asarray(data["sizes"]) >= int(self.centered_from)).astype(float)
            return {k: (flags.copy(), 1.0) for k in self.links}
        estimate, sd = self._group_modes(loglik, priors, n_groups)
        return centring_weights(estimate, sd, priors, list(self.links))

    def _group_modes(self, loglik: Any, priors: Mapping[str, Mapping[str, float]], n_groups: int) -> tuple[np.ndarray, np.ndarray]:
        """Each group's own posterior mode and sd of the sampled quantities (prior ``Normal(loc, scale)``, no pooling)."""
        import pytensor
        import pytensor.tensor as pt

        names = list(self.links)
        u = [pt.dvector(name) for name in names]
        natural = self._natural(dict(zip(names, u)))
        log_post = loglik(*(natural[p] for p in self.param_names))[0]
        for name, var in zip(names, u):
            log_post = log_post - 0.5 * pt.sum(((var - priors[name]["loc"]) / priors[name]["scale"]) ** 2)
        fn = pytensor.function(u, [log_post, *pytensor.grad(log_post, u)])
        return group_modes(fn, [priors[name]["loc"] for name in names], n_groups)

    def centering(self, rfm: pd.DataFrame) -> pd.DataFrame:
        """Each group's centring weight of each sampled quantity, as a table.

        A weight ``w`` in ``[0, 1]`` per group and quantity selects the
        partially centred parameterisation of
        :func:`clv.bayes.priors.group_parameters`: 0 non-centred, 1 centred.
        With ``centered_from="auto"`` (the default) it is
        ``s^2 / (s^2 + sd^2)``, where ``sd`` is the posterior sd of the
        group's own data (with the prior, no pooling) and ``s`` the typical
        spread between groups (:func:`clv.bayes.centring.centring_weights`):
        data-rich groups are (nearly) centred on the quantities they
        identify, weakly informed groups non-centred, and groups in between
        partially centred, which removes the funnels of both extremes. The
        choice changes the sampler's geometry, not the model. An integer
        centres every quantity of the groups with at least that many
        customers (weight 1, the others 0); ``None`` centres nothing.

        Returns a float DataFrame, groups by sampled quantities; ``attrs["spread"]``
        holds the typical spread ``s`` of each quantity.
        """
        if self.group is None:
            raise ValueError("centering applies to hierarchical models (group=None has no group level)")
        data = self._prepare(rfm)
        centered = self._centered(self._loglik_op(data), resolve_priors(self.default_priors, self.priors), data)
        out = pd.DataFrame({k: np.asarray(w, dtype=float) for k, (w, _) in centered.items()}, index=pd.Index(data["levels"], name=self.group))
        out.attrs["spread"] = {k: float(s) for k, (_, s) in centered.items()}
        return out

    # -- fitting -----------------------------------------------------------------
    def fit(
        self,
        rfm: pd.DataFrame,
        *,
        draws: int = 1000,
        tune: int = 1000,
        chains: int = 4,
        random_seed: int,
        cores: int | None = None,
        init: str = "laplace",
        time_resolution: float | None = None,
    ) -> BayesianModel:
        """Sample the posterior with NUTS.

        Parameters
        ----------
        rfm : pandas.DataFrame
            Output of :func:`clv.rfm_summary` with the group column added.
        draws, tune, chains : int
            Kept draws per chain, tuning steps per chain, number of chains.
        random_seed : int
            Seed of the sampler; the same seed gives the same posterior.
        cores : int, optional
            Chains run in parallel; defaults to ``min(chains, os.cpu_count())``.
        init : str
            ``"laplace"`` (default, PyMC sampler): start NUTS from the mode of
            the sampled density with the mass matrix set from the Laplace
            approximation there (dense for ``group=None``, its diagonal for
            the hierarchical model; then adapted as usual), and start each
            chain from a draw of that normal approximation. With thousands of customers the posterior
            is far narrower than PyMC's unit initial mass matrix, which
            otherwise costs hundreds of leapfrog steps per iteration early in
            tuning. Any PyMC ``init`` (``"jitter+adapt_diag"``,
            ``"jitter+adapt_full"``, ...) may be given instead.
        time_resolution : float, optional
            Purchase models only: move ``recency`` and ``T`` to the midpoint
            of their bin of this many time units before compressing (repeat
            buyers keep a positive recency), an approximation that caps the
            number of distinct tuples, and so the cost of each gradient, for
            millions of customers. ``None`` (default) fits the exact data;
            predictions always use the exact values. Keep it well below the
            typical time between purchases (benchmarks/RESULTS.md compares a
            1-week grid with the exact fit on 1M customers).

        Returns
        -------
        self
        """
        import pymc as pm

        if self.sampler not in SAMPLERS:
            raise ValueError(f"sampler must be one of {SAMPLERS}, got {self.sampler!r}")
        if self.sampler == "nutpie":
            try:
                import nutpie  # noqa: F401
            except ImportError:
                raise ImportError("sampler='nutpie' needs the nutpie package: pip install nutpie") from None
        data = self._prepare(rfm, time_resolution)
        model = self._build(data)
        kwargs: dict[str, Any] = {}
        with model, _pymc_logging(self.progressbar), warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="QuadPotentialFullAdapt is an experimental feature")
            if self.sampler == "pymc":
                kwargs["cores"] = cores or max(1, min(chains, os.cpu_count() or 1))
                if init == "laplace":
                    spreads = [v.name for v in model.value_vars if v.name.startswith("sigma_")]
                    kwargs["step"], kwargs["initvals"] = laplace_nuts(
                        model, chains, random_seed, self.target_accept, dense=self.group is None, fixed=spreads
                    )
                else:
                    kwargs.update(init=init, target_accept=self.target_accept)
            else:
                kwargs["target_accept"] = self.target_accept
            idata = pm.sample(
                draws=draws,
                tune=tune,
                chains=chains,
                random_seed=random_seed,
                progressbar=self.progressbar,
                nuts_sampler=self.sampler,
                compute_convergence_checks=False,
                **kwargs,
            )
        self.restore_state(
            idata,
            {
                "levels": data["levels"],
                "sizes": [int(n) for n in data["sizes"]],
                "n_excluded": data["n_excluded"],
                "n_unique": len(data["weights"]),
                "data_hash": self.data_hash(rfm),
                "time_unit": rfm.attrs.get("time_unit"),  # valuation refuses another unit (clv.valuation.in_time_unit)
                "fit": {
                    "draws": draws, "tune": tune, "chains": chains, "random_seed": random_seed, "init": init,
                    "sampler": self.sampler, "time_resolution": time_resolution,
                },
            },
        )
        return self

    def restore_state(self, idata: Any, state: Mapping[str, Any]) -> None:
        """Set the fitted state from a posterior and the dict of :meth:`fitted_state` (used by :func:`clv.bayes.load`)."""
        self.idata_ = idata
        self.groups_ = pd.Index(state["levels"], name=self.group or "group")
        self.group_sizes_ = pd.Series(state["sizes"], index=self.groups_, name="n_customers")
        self.n_excluded_ = int(state["n_excluded"])
        self.n_unique_ = int(state["n_unique"])
        self.data_hash_ = str(state["data_hash"])
        self.fit_settings_ = dict(state["fit"])
        self.time_unit_ = state.get("time_unit")

    def fitted_state(self) -> dict[str, Any]:
        """Group levels and sizes, exclusions, data hash and fit settings as a JSON-ready dict (saved with the posterior)."""
        return {
            "levels": list(self.groups_),
            "sizes": [int(n) for n in self.group_sizes_],
            "n_excluded": self.n_excluded_,
            "n_unique": self.n_unique_,
            "data_hash": self.data_hash_,
            "time_unit": getattr(self, "time_unit_", None),
            "fit": self.fit_settings_,
        }

    # -- posterior tables ------------------------------------------------------------
    def _free_names(self) -> list[str]:
        post = self.idata.posterior
        return [n for n in free_variable_names(self.links, self.group is not None) if n in post]

    def summary(self, *, var_names: Sequence[str] | None = None, hdi_prob: float = 0.9, round_to: int | str = 2) -> pd.DataFrame:
        """ArviZ summary (mean, sd, HDI, ESS, R-hat) of the model parameters per group.

        ``var_names`` defaults to the natural-scale parameters plus the
        population-level ones of the hierarchical model. ``round_to`` is
        ArviZ's (2 decimals by default; ``"none"`` for thresholds such as
        R-hat < 1.01, which a rounded 1.006 would fail).
        """
        import arviz as az

        self._check_fitted()
        if var_names is None:
            var_names = list(self.param_names)
            if self.group is not None:
                var_names += [f"{p}_{link}_{k}" for k, link in self.links.items() for p in ("mu", "sigma")]
        return az.summary(self.idata_, var_names=list(var_names), hdi_prob=hdi_prob, round_to=round_to)

    def diagnostics(self, *, rhat_max: float = 1.01, ess_min: float = 400.0) -> Diagnostics:
        """Max R-hat, min bulk/tail ESS and divergences over the free parameters, with a pass flag."""
        self._check_fitted()
        return diagnose(self.idata_, self._free_names(), rhat_max=rhat_max, ess_min=ess_min)

    def _draws(self, n_draws: int | None) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
        """``{param: (chain, draw, group)}`` arrays thinned to about ``n_draws`` draws, with chain and draw labels."""
        self._check_fitted()
        post = self.idata_.posterior
        keep = thin_indices(post.sizes["draw"], post.sizes["chain"], n_draws)
        params = {k: np.asarray(post[k].transpose("chain", "draw", "group").values)[:, keep, :] for k in self.param_names}
        return params, np.asarray(post["chain"].values), np.asarray(post["draw"].values)[keep]

    def _derived(self, params: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Implied group-level quantities (e.g. mean purchase rate) from parameter draws."""
        return {}

    def group_params(self, interval: float = 0.9) -> pd.DataFrame:
        """Posterior mean, sd and central ``interval`` of each parameter and implied quantity, per group.

        Returns a DataFrame indexed by ``(group, quantity)`` with columns
        ``mean, sd, lower, upper``; ``attrs["n_customers"]`` has the group sizes.
        """
        check_interval(interval)
        params, _, _ = self._draws(None)
        values = {**params, **self._derived(params)}
        tail = (1.0 - interval) / 2.0
        rows = []
        for g, level in enumerate(self.groups_):
            for name, arr in values.items():
                flat = arr[:, :, g].ravel()
                lower, upper = np.quantile(flat, [tail, 1.0 - tail])
                rows.append((level, name, flat.mean(), flat.std(ddof=1), lower, upper))
        out = pd.DataFrame(rows, columns=[self.groups_.name, "quantity", "mean", "sd", "lower", "upper"])
        out = out.set_index([self.groups_.name, "quantity"])
        out.attrs["n_customers"] = self.group_sizes_.to_dict()
        out.attrs["interval"] = interval
        return out

    def group_param_draws(self, n_draws: int, *, seed: int) -> pd.DataFrame:
        """``n_draws`` posterior draws (chosen at random with ``seed``, without replacement) in long form.

        One row per (draw, group): ``draw`` (position in the flattened
        chain x draw sample, shared across groups of the same joint draw),
        ``group`` and one column per parameter on the natural scale. This is
        the protocol :class:`clv.channels.PosteriorChannelModels` reads.
        """
        params, _, _ = self._draws(None)
        flat = {k: v.reshape(-1, v.shape[-1]) for k, v in params.items()}
        total = next(iter(flat.values())).shape[0]
        rng = np.random.default_rng(seed)
        chosen = np.sort(rng.choice(total, size=min(int(n_draws), total), replace=False))
        n_groups = len(self.groups_)
        out = pd.DataFrame({"draw": np.repeat(chosen, n_groups), "group": np.tile(np.asarray(self.groups_, dtype=object), len(chosen))})
        for k, v in flat.items():
            out[k] = v[chosen].ravel()
        return out

    def population_param_draws(self, n_draws: int, *, seed: int) -> pd.DataFrame:
        """``n_draws`` draws of the parameters of a new group from the population level, group ``"*"``.

        For each posterior draw (chosen as in :meth:`group_param_draws`) every
        sampled quantity of a new group is drawn as ``Normal(mu, sigma)`` on
        its link scale (the posterior predictive of a group not in the data)
        and mapped to the natural parameters. This values customers without
        a group: the Bayesian counterpart of the pooled MLE fit. Without
        groups (``group=None``) the rows are the single group's draws.

        Parameters
        ----------
        n_draws : int
            Number of draws (at most the posterior sample size).
        seed : int
            Seed of the choice of draws and of the new group's values.

        Returns
        -------
        pandas.DataFrame
            Columns ``draw, group`` (always ``"*"``) and one per parameter.
        """
        import pytensor
        import pytensor.tensor as pt

        self._check_fitted()
        post = self.idata_.posterior
        total = post.sizes["chain"] * post.sizes["draw"]
        rng = np.random.default_rng(seed)
        chosen = np.sort(rng.choice(total, size=min(int(n_draws), total), replace=False))
        if self.group is None:
            params = {k: np.asarray(post[k].transpose("chain", "draw", "group").values).reshape(total, -1)[chosen, 0] for k in self.param_names}
        else:
            sampled = {}
            for name, link in self.links.items():
                mu = np.asarray(post[f"mu_{link}_{name}"].values).reshape(total)[chosen]
                sigma = np.asarray(post[f"sigma_{link}_{name}"].values).reshape(total)[chosen]
                sampled[name] = pt.as_tensor_variable(mu + sigma * rng.standard_normal(len(chosen)))
            natural = self._natural(sampled)
            values = pytensor.function([], [natural[k] for k in self.param_names])()
            params = dict(zip(self.param_names, values))
        return pd.DataFrame({"draw": chosen, "group": "*", **{k: np.asarray(v, dtype=float) for k, v in params.items()}})

    def draw_models(self, n_draws: int | None = 200) -> list[Any]:
        """One fitted-model-like object per (thinned) posterior draw, for :func:`clv.customer_value`."""
        params, _, _ = self._draws(n_draws)
        flat = {k: v.reshape(-1, v.shape[-1]) for k, v in params.items()}
        n = next(iter(flat.values())).shape[0]
        return [self._draw_model({k: v[i] for k, v in flat.items()}) for i in range(n)]

    def _draw_model(self, params: Mapping[str, np.ndarray]) -> Any:
        raise NotImplementedError

    def _predict(self, rfm: pd.DataFrame, fn: Any, columns: list[np.ndarray], *, n_draws: int | None, interval: float | None, name: str) -> Any:
        from clv.bayes.predictions import evaluate

        params, chains, draws = self._draws(n_draws)
        codes = group_codes(rfm, self.group, list(self.groups_))
        return evaluate(fn, params, codes, columns, index=rfm.index, chains=chains, draws=draws, interval=interval, name=name)

    # -- persistence -------------------------------------------------------------
    def save(self, path: Any) -> Any:
        """Write the posterior, settings and data hash to ``path`` (netCDF); load with :func:`clv.bayes.load`."""
        from clv.bayes.io import save

        self._check_fitted()
        return save(self, path)

"""The models of each group: at the estimate, per parameter draw, and the pooled fallback.

A *model set* answers the questions that valuation, the channel report, the
budget functions and the segments ask of "the models of each group" (one
group per acquisition channel, say), whether the models are maximum-likelihood
fits or a Bayesian posterior:

``names``
    The groups with models of their own (the pooled group ``"*"`` included
    when there is one).
``point()``
    ``{group: (transaction model, spend model)}`` at the estimates, or
    ``None`` for a posterior (whose point figures are means over draws).
``draws(n, seed=)``
    ``n`` such mappings, one per parameter draw: a parametric bootstrap of
    each MLE fit (:func:`parameter_draws`, the one bootstrap of the library)
    or posterior draws of a grouped Bayesian model.
``pair(group, models)``
    The group's models, else the pooled ones, else a :class:`clv.DataError`.
``source(group)``
    Where the group's models come from, and why when it is the pooled model.

One policy (:func:`fallback_reason`) decides when a group's own fit cannot
serve it, so that it uses the pooled model instead and says why: a group too
small, a fit that failed, a fit at the boundary of the parameter space or a
fit without standard errors. Customers without a group use the pooled model:
for MLE fits the fit on every customer; for a posterior the population-level
distribution (:meth:`PosteriorModelSet.draws`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np
import pandas as pd

from clv.checks import require_seed
from clv.errors import ConvergenceError, DataError
from clv.models import BetaGeo, GammaGamma
from clv.models.covariate_links import model_at
from clv.models.limits import boundary_note

__all__ = [
    "POOLED",
    "MLEModelSet",
    "ModelPair",
    "ModelSet",
    "ModelSetLike",
    "PosteriorDraws",
    "PosteriorModelSet",
    "fallback_reason",
    "fit_groups",
    "is_model_set",
    "is_posterior",
    "parameter_draws",
    "transactions_at_point",
]

POOLED = "*"
"""Name of the pooled group: the models fitted on every customer (or the population level of a posterior)."""

ModelPair = tuple[Any, Any]  # (transaction model, spend model)
Progress = Callable[[str], None] | None


# -- the one bootstrap and the one fallback policy -------------------------------------------------
def parameter_draws(model: Any, n: int, seed: int) -> list[Any]:
    """Copies of a fitted MLE model at ``n`` parameter sets from its asymptotic normal (parametric bootstrap).

    The log-parameters are drawn from ``N(estimate, cov_log)``
    (:meth:`clv.FitResult.sample_params`). A fit without a finite covariance
    (observed information not positive definite) cannot be bootstrapped: that
    is a :class:`clv.DataError`, never a silent repetition of the estimate.

    Examples
    --------
    >>> import clv
    >>> rfm = clv.rfm_summary(clv.datasets.load_cdnow(), observation_end="1997-09-30")
    >>> draws = parameter_draws(clv.GammaGamma().fit(rfm), 3, seed=1)
    >>> len(draws), type(draws[0]).__name__
    (3, 'GammaGamma')
    """
    if not np.all(np.isfinite(model.result_.cov_log)):
        raise DataError(
            f"{type(model).__name__}: standard errors are not available (observed information not positive definite), "
            "so no bootstrap interval can be drawn; call without interval= (clv report: --n-draws 0 gives the figures without intervals)"
        )
    values = model.result_.sample_params(int(n), seed=int(seed)).to_numpy()
    return [model.with_params(row) for row in values]


def fallback_reason(model: Any) -> str | None:
    """Why a fitted model cannot serve its group (which then uses the pooled model), or ``None`` when it can.

    A fit at the boundary of the parameter space (a ``boundary_`` attribute
    that is set) or without standard errors (no finite covariance, so no
    interval could be drawn) is replaced by the pooled fit.

    Examples
    --------
    >>> import clv
    >>> fallback_reason(clv.BetaGeo.from_params({"r": 0.24, "alpha": 4.4, "a": 0.79, "b": 2.4}))
    'no standard errors (observed information not positive definite)'
    """
    note = boundary_note(model)
    if note:
        return f"fit at a boundary: {note}"
    result = getattr(model, "result_", None)
    if result is not None and not np.all(np.isfinite(result.cov_log)):
        return "no standard errors (observed information not positive definite)"
    return None


@runtime_checkable
class PosteriorDraws(Protocol):
    """What a Bayesian grouped model provides to a model set.

    ``group_param_draws(n_draws, seed=)`` returns a long DataFrame with one
    row per (posterior draw, group): a ``draw`` column (int), a ``group``
    column (the channel name; the pooled population may appear as ``"*"``)
    and one column per parameter of the matching MLE model on its natural
    scale (``r, alpha, a, b`` for BG/NBD; ``p, q, v`` for Gamma-Gamma).
    Draws with the same ``draw`` number across groups come from the same
    joint posterior sample, so channel comparisons keep their correlation.
    A model may also offer ``population_param_draws(n_draws, seed=)`` in the
    same form (group ``"*"``): the parameters of a new group drawn from the
    population level, which values customers without a group.
    """

    def group_param_draws(self, n_draws: int, *, seed: int) -> pd.DataFrame: ...


def is_posterior(model: Any) -> bool:
    """True for a Bayesian model that offers posterior draws (the :class:`PosteriorDraws` protocol)."""
    return isinstance(model, PosteriorDraws)


@runtime_checkable
class ModelSetLike(Protocol):
    """What makes a model set: the models of each group at the estimate (``None`` for a posterior) and per draw."""

    def point(self) -> dict[str, ModelPair] | None: ...

    def draws(self, n: int, *, seed: int) -> list[dict[str, ModelPair]]: ...


def is_model_set(model: Any) -> bool:
    """True for a model set: a :class:`ModelSet` (:class:`clv.ChannelModels`, :class:`clv.PosteriorChannelModels`) or any :class:`ModelSetLike`."""
    return isinstance(model, ModelSetLike)


def transactions_at_point(models: ModelSetLike, n_draws: int = 50, seed: int = 0) -> dict[str, Any]:
    """``{group: transaction model}`` at the estimates, or at the posterior mean of each group's parameters."""
    point = models.point()
    if point is not None:
        return {name: pair[0] for name, pair in point.items()}
    sets = models.draws(n_draws, seed=seed)
    if not sets:
        raise DataError("the model set gave no posterior draws")
    out = {}
    for name in sets[0]:
        values = np.mean([np.asarray(s[name][0].result_.estimates, dtype=float) for s in sets if name in s], axis=0)
        out[name] = sets[0][name][0].with_params(values)
    return out


# -- the model sets -------------------------------------------------------------------------------
class ModelSet:
    """Base class: the models of each group (see the module notes). Subclasses define ``point`` and ``draws``."""

    bayesian = False
    description = ""

    @property
    def names(self) -> list[str]:
        raise NotImplementedError

    def point(self) -> dict[str, ModelPair] | None:
        raise NotImplementedError

    def draws(self, n: int, *, seed: int) -> list[dict[str, ModelPair]]:
        raise NotImplementedError

    def pair(self, group: Any, models: Mapping[str, ModelPair]) -> ModelPair:
        """The models of ``group`` in ``models`` (one of :meth:`point` or :meth:`draws`), else the pooled pair."""
        if group in models:
            return models[group]
        if POOLED in models:
            return models[POOLED]
        raise DataError(f"no model for group {group!r} and no pooled model to fall back on")

    profiles: dict[str, dict[str, Any]]  # the typical covariate profile of each group (models with covariates)

    def new_customer_pair(self, group: Any, models: Mapping[str, ModelPair]) -> ModelPair:
        """:meth:`pair`, moved to the covariate profile of ``group`` (``profiles``, else the pooled one) when the models have covariates.

        A new customer of a group is valued as its typical customer
        (:func:`clv.data.covariates.typical_profile`) through
        :meth:`clv.models.base.MLEModel.for_profile`.
        """
        pair = self.pair(group, models)
        profiles = getattr(self, "profiles", None) or {}
        profile = profiles.get(group, profiles.get(POOLED))
        if profile is None:
            return pair
        return tuple(m.for_profile(profile) if getattr(m, "links_", None) is not None else m for m in pair)  # type: ignore[return-value]

    def source(self, group: str) -> str:
        """Where the models of ``group`` come from."""
        return self.description

    def evaluation_sets(self, n_draws: int, seed: int | None) -> list[dict[str, ModelPair]]:
        """``[point()]`` when there is a point estimate, else ``n_draws`` draws (their mean is the point figure)."""
        point = self.point()
        return [point] if point is not None else self.draws(n_draws, seed=require_seed(seed, "posterior draws"))

    def point_transaction_models(self, n_draws: int = 50, seed: int = 0) -> dict[str, Any]:
        """``{group: transaction model}`` at the estimates, or at the posterior mean (:func:`transactions_at_point`)."""
        return transactions_at_point(self, n_draws, seed)

    def score(self, rfm: pd.DataFrame, channel_of: pd.Series, **settings: Any) -> pd.DataFrame:
        """Score every customer with the models of its group (the columns of :func:`clv.customer_value`).

        ``channel_of`` maps ``customer_id`` to group; customers missing from
        it use the pooled model. ``settings`` are those of
        :func:`clv.valuation.value_by_group` (``horizon``, ``discount_rate``,
        ``margin``, ``time_unit``, ``period``, ``n_draws``, ``seed``); with
        posterior draws each column is the mean over ``n_draws`` draws.
        """
        from clv.valuation import value_by_group  # valuation builds on model sets, so import it late

        return value_by_group(self, rfm, channel_of, **settings)


@dataclass
class MLEModelSet(ModelSet):
    """Maximum-likelihood transaction and spend models per group, the pooled pair under ``"*"``.

    ``sources`` says which group uses what, and why. Draws are a parametric
    bootstrap of each fit, groups drawn independently in sorted order from
    seeds derived from the one ``seed``. A spend model may be ``None``
    (purchases only).

    Examples
    --------
    >>> import clv
    >>> bg = clv.BetaGeo.from_params({"r": 0.24, "alpha": 4.4, "a": 0.79, "b": 2.4})
    >>> models = MLEModelSet({"*": bg}, {"*": None})
    >>> models.names, models.pair("email", models.point())[0] is bg, models.source("email")
    (['*'], True, 'pooled MLE')
    """

    transaction_models: dict[str, Any]
    spend_models: dict[str, Any]
    sources: dict[str, str] = field(default_factory=dict)
    profiles: dict[str, dict[str, Any]] = field(default_factory=dict)
    description = "maximum likelihood per channel; intervals from a parametric bootstrap of each fit"

    @property
    def names(self) -> list[str]:
        return list(self.transaction_models)

    def point(self) -> dict[str, ModelPair]:
        return {c: (self.transaction_models[c], self.spend_models.get(c)) for c in self.transaction_models}

    def source(self, group: str) -> str:
        if group in self.sources:
            return self.sources[group]
        return "channel MLE" if group in self.transaction_models else "pooled MLE"

    def draws(self, n: int, *, seed: int) -> list[dict[str, ModelPair]]:
        """``n`` parameter sets of every group (:func:`parameter_draws`; groups drawn independently)."""
        if n <= 0:
            return []
        names = sorted(self.transaction_models)
        seeds = np.random.default_rng(seed).integers(0, 2**31 - 1, size=(len(names), 2))
        out: list[dict[str, ModelPair]] = [{} for _ in range(n)]
        for name, (s_t, s_s) in zip(names, seeds):
            tm, sm = self.transaction_models[name], self.spend_models.get(name)
            t_draws = parameter_draws(tm, n, int(s_t))
            s_draws = [None] * n if sm is None else parameter_draws(sm, n, int(s_s))
            for i in range(n):
                out[i][name] = (t_draws[i], s_draws[i])
        return out


class PosteriorModelSet(ModelSet):
    """Group-level models at posterior draws of grouped Bayesian models.

    Parameters
    ----------
    transaction_model, spend_model : PosteriorDraws
        Fitted grouped models (for instance ``clv.bayes.HierarchicalBetaGeo``
        and ``HierarchicalGammaGamma`` with ``group="channel"``).
    transaction_class : type, optional
        MLE class whose maths evaluates a draw; defaults to the model's
        ``mle_class``, else :class:`clv.BetaGeo`.

    Customers without a group are valued with the population level: when
    both models offer ``population_param_draws(n_draws, seed=)`` every draw
    carries a pooled pair under ``"*"``; otherwise such customers are a
    :class:`clv.DataError` naming the missing method.

    Examples
    --------
    >>> import pandas as pd
    >>> class FixedDraws:
    ...     def __init__(self, **params):
    ...         self.table = pd.DataFrame([{"draw": 0, "group": "email", **params}])
    ...     def group_param_draws(self, n_draws, *, seed):
    ...         return self.table
    >>> models = PosteriorModelSet(FixedDraws(r=0.24, alpha=4.4, a=0.79, b=2.4), FixedDraws(p=6.2, q=3.7, v=15.0))
    >>> models.names, models.point(), models.draws(1, seed=0)[0]["email"][1]
    (['email'], None, GammaGamma(p=6.2, q=3.7, v=15))
    """

    bayesian = True
    description = "posterior draws of the grouped Bayesian model"

    def __init__(self, transaction_model: Any, spend_model: Any, *, transaction_class: type | None = None) -> None:
        for what, model in (("transaction model", transaction_model), ("spend model", spend_model)):
            if not is_posterior(model):
                raise DataError(
                    f"the Bayesian {what} {type(model).__name__} does not provide group_param_draws(n_draws, seed=); "
                    "it cannot feed the channel report yet"
                )
        self.transaction_model = transaction_model
        self.spend_model = spend_model
        self.transaction_class = transaction_class or getattr(transaction_model, "mle_class", BetaGeo)
        self.profiles: dict[str, dict[str, Any]] = {}  # set by the caller for models with covariates (new customers' profile)

    @property
    def names(self) -> list[str]:
        return [str(g) for g in dict.fromkeys(self.transaction_model.group_param_draws(1, seed=0)["group"])]

    def point(self) -> None:
        return None

    def _population(self) -> bool:
        return all(callable(getattr(m, "population_param_draws", None)) for m in (self.transaction_model, self.spend_model))

    def draws(self, n: int, *, seed: int) -> list[dict[str, ModelPair]]:
        """``n`` joint draws: the i-th draw of the transaction model paired with the i-th of the spend model.

        The two models are sampled separately, so their draw numbers mean
        nothing to each other; within one model, rows sharing a draw number
        are one joint sample across groups and stay together.
        """
        if n <= 0:
            return []
        t_frame = self.transaction_model.group_param_draws(n, seed=seed)
        s_frame = self.spend_model.group_param_draws(n, seed=seed + 1)
        t = _by_draw(t_frame, self.transaction_class, "transaction")
        s = _by_draw(s_frame, GammaGamma, "spend")
        if len(t) != len(s):
            raise DataError(f"the transaction model gave {len(t)} posterior draws and the spend model {len(s)}")
        if self._population():
            t_pop = _by_draw(self.transaction_model.population_param_draws(n, seed=seed + 2), self.transaction_class, "transaction")
            s_pop = _by_draw(self.spend_model.population_param_draws(n, seed=seed + 3), GammaGamma, "spend")
            for draws, pop in ((t, t_pop), (s, s_pop)):
                for d, p in zip(draws, pop):
                    d.setdefault(POOLED, p[POOLED])
        out: list[dict[str, ModelPair]] = []
        for td, sd in zip(t, s):
            missing = sorted(set(td) - set(sd))
            if missing:
                raise DataError(f"the spend model has no posterior draws for group(s) {missing}")
            out.append({g: (td[g], sd[g]) for g in td})
        return out

    def pair(self, group: Any, models: Mapping[str, ModelPair]) -> ModelPair:
        if group in models or POOLED in models:
            return super().pair(group, models)
        raise DataError(
            f"no posterior for group {group!r} and no population-level posterior to fall back on "
            f"({type(self.transaction_model).__name__} provides no population_param_draws(n_draws, seed=))"
        )


def _by_draw(frame: pd.DataFrame, cls: type, what: str) -> list[dict[str, Any]]:
    """``[{group: model at the drawn parameters}]`` per draw number, in draw-number order.

    A frame of a covariate model (``attrs["covariates"]``, see
    :meth:`clv.bayes.covariates.CovariateBayes.group_param_draws`) gives models
    with covariates (:func:`clv.models.covariate_links.model_at`).
    """
    needed = {"draw", "group", *cls.param_names}
    if not needed <= set(frame.columns):
        raise DataError(f"the {what} model's group_param_draws lacks columns {sorted(needed - set(frame.columns))}")
    covariates = frame.attrs.get("covariates")
    grouped: dict[int, dict[str, Any]] = {}
    for row in frame.to_dict("records"):
        grouped.setdefault(int(row["draw"]), {})[str(row["group"])] = model_at(cls, row, covariates)
    return [grouped[d] for d in sorted(grouped)]


# -- the one per-group fitting loop ----------------------------------------------------------------
def fit_groups(
    names: list[str],
    sizes: Mapping[str, int],
    fit_pair: Callable[[str | None], ModelPair],
    *,
    label: str,
    n_all: int,
    min_customers: int = 100,
    progress: Progress = None,
    cls: type[MLEModelSet] = MLEModelSet,
) -> MLEModelSet:
    """Fit the pooled pair and one pair per group, applying the fallback policy; the loop every engine shares.

    ``fit_pair(None)`` fits the pooled pair on every customer and
    ``fit_pair(name)`` the pair of one group. A group with fewer than
    ``min_customers`` customers, whose fit raises :class:`clv.ConvergenceError`
    or :class:`clv.DataError`, or whose fit :func:`fallback_reason` rejects,
    uses the pooled pair; ``sources`` records why.

    Examples
    --------
    >>> import clv
    >>> rfm = clv.rfm_summary(clv.datasets.load_cdnow(), observation_end="1997-09-30")
    >>> fit = lambda name: (clv.BetaGeo().fit(rfm), clv.GammaGamma().fit(rfm))
    >>> fit_groups(["tiny"], {"tiny": 5}, fit, label="BetaGeo + GammaGamma", n_all=len(rfm)).sources
    {'*': 'pooled MLE', 'tiny': 'pooled MLE (5 customers < 100)'}
    """
    _say(progress, f"fitting pooled {label} on {n_all:,} customers")
    tm, sm = fit_pair(None)
    pooled_note = boundary_note(tm, sm)  # a pooled limit model is used, and said
    t_models, s_models, sources = {POOLED: tm}, {POOLED: sm}, {POOLED: f"pooled MLE ({pooled_note})" if pooled_note else "pooled MLE"}
    for name in names:
        size = int(sizes.get(name, 0))
        if size < min_customers:
            sources[name] = f"pooled MLE ({size} customers < {min_customers})"
            continue
        _say(progress, f"fitting {label} for channel {name!r} ({size:,} customers)")
        try:
            tm, sm = fit_pair(name)
        except (ConvergenceError, DataError) as exc:
            sources[name] = f"pooled MLE (channel fit failed: {str(exc).splitlines()[0][:120]})"
            continue
        reason = fallback_reason(tm) or fallback_reason(sm)
        if reason:
            sources[name] = f"pooled MLE (channel {reason[:120]})"
            continue
        t_models[name], s_models[name] = tm, sm
        sources[name] = "channel MLE"
    return cls(t_models, s_models, sources)


def _say(progress: Progress, text: str) -> None:
    if progress is not None:
        progress(text)

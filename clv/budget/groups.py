"""The models each budget function values, and how their draws become intervals.

Turns what a caller passes (one fitted pair, ``{channel: model}`` dicts, channel
models or a grouped posterior) into a :class:`clv.model_set.ModelSet` with the
groups to value; failed draws are dropped and counted, and intervals are central
quantiles of the rest.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np

from clv.errors import ClvWarning, DataError
from clv.model_set import MLEModelSet, ModelPair, ModelSet, PosteriorModelSet, is_posterior
from clv.valuation import in_time_unit, valuation_time_unit

__all__ = ["Chosen", "channel_models", "chosen_models", "drop_failed", "per_group", "posterior_set", "quantiles", "reject_unusable", "select"]


def reject_unusable(model: Any, function: str) -> None:
    """A clv.bayes object without posterior draws to offer cannot be valued; say so plainly."""
    if type(model).__module__.startswith("clv.bayes") and not is_posterior(model):
        raise TypeError(
            f"{function}: {type(model).__name__} from clv.bayes provides no group_param_draws(n_draws, seed=), "
            "so it is not supported; pass a fitted grouped Bayesian model or a fitted MLE model"
        )


@dataclass
class Chosen:
    """The groups to value (``names``, in output order) and the model set that values them."""

    names: list[str]
    models: ModelSet

    @property
    def posterior(self) -> bool:
        return self.models.bayesian

    @property
    def point(self) -> dict[str, ModelPair] | None:
        return self.models.point()

    def pair(self, name: str, pairs: Mapping[str, ModelPair]) -> ModelPair:
        return self.models.pair(name, pairs)

    def draws(self, n: int, seed: int) -> list[dict[str, ModelPair]]:
        return self.models.draws(int(n), seed=int(seed))


def posterior_set(model: Any, spend_model: Any, function: str) -> PosteriorModelSet:
    if not is_posterior(spend_model):
        raise DataError(
            f"{function}: a Bayesian transaction model needs a Bayesian spend model with group_param_draws "
            f"(clv.bayes.HierarchicalGammaGamma), got {type(spend_model).__name__}"
        )
    return PosteriorModelSet(model, spend_model)


def drop_failed(draws: np.ndarray, stacklevel: int = 3) -> tuple[np.ndarray, int]:
    """Blank out (NaN) every draw, along the first axis, that has a non-finite value anywhere; count them.

    A parameter draw far in the tail can leave the region where a model's
    expectation is computable; such draws are left out of the interval,
    counted in ``attrs["failed_draws"]`` and reported with a warning.
    """
    bad = ~np.isfinite(draws.reshape(len(draws), -1)).all(axis=1)
    if bad.all():
        raise DataError(f"all {len(draws)} parameter draws gave non-finite values; no interval can be formed")
    if bad.any():
        draws = draws.copy()
        draws[bad] = np.nan
        warnings.warn(
            f"{int(bad.sum())} of {len(draws)} parameter draws gave non-finite values "
            "and were left out of the interval",
            ClvWarning,
            stacklevel=stacklevel,
        )
    return draws, int(bad.sum())


def quantiles(draws: np.ndarray, interval: float) -> tuple[np.ndarray, np.ndarray]:
    tail = (1.0 - interval) / 2.0
    return np.nanquantile(draws, tail, axis=0), np.nanquantile(draws, 1.0 - tail, axis=0)


def select(names: list[str], group: str | Sequence[str] | None) -> list[str]:
    if group is None:
        return names
    wanted = [group] if isinstance(group, str) else list(group)
    unknown = [g for g in wanted if g not in names]
    if unknown:
        raise DataError(f"group {unknown[0]!r} not found; available: {names}")
    return wanted


def per_group(value: Any, name: str, what: str) -> Any:
    if isinstance(value, Mapping):
        if name not in value:
            raise DataError(f"{what} has no entry for group {name!r}; it has {sorted(map(str, value))}")
        return value[name]
    return value


def channel_models(model: Any, spend_model: Any, group: str | Sequence[str] | None, function: str,
                   time_unit: str | None) -> tuple[Chosen, str]:
    """The models of each group to value (a model set, per-channel MLE fits, one MLE pair, or a grouped posterior) and the time unit.

    The time unit defaults to the one the transaction models were fitted in;
    MLE models are converted to it when each is evaluated
    (:mod:`clv.budget.unit_economics`), and a posterior fitted in another unit is refused.
    """
    reject_unusable(model, function)
    chosen = chosen_models(model, spend_model, group, function)
    models = chosen.models
    recorded = (list(models.transaction_models.values()) if isinstance(models, MLEModelSet)
                else [getattr(models, "transaction_model", None)])
    unit = valuation_time_unit(time_unit, recorded)
    for tm in recorded:
        in_time_unit(tm, unit, function)
    return chosen, unit


def chosen_models(model: Any, spend_model: Any, group: str | Sequence[str] | None, function: str) -> Chosen:
    """The models of each group to value: a model set, per-channel MLE fits, one MLE pair, or a grouped posterior."""
    if isinstance(model, ModelSet):  # clv.ChannelModels, clv.PosteriorChannelModels
        if spend_model is not None:
            raise DataError(f"{function}: a {type(model).__name__} carries its spend models; pass spend_model=None")
        return Chosen(select(model.names, group), model)
    if is_posterior(model):
        sets = posterior_set(model, spend_model, function)
        return Chosen(select(sets.names, group), sets)
    if isinstance(model, Mapping):
        if not model:
            raise DataError(f"{function}: the dict of models is empty")
        chosen = select([str(k) for k in model], group)
        entries = [(g, model[g], per_group(spend_model, g, "spend_model")) for g in chosen]
    else:
        if group is not None:
            raise DataError(
                f"{function}: group={group!r} needs per-group models; pass a dict {{group: fitted model}} "
                f"instead of a single {type(model).__name__}"
            )
        if isinstance(spend_model, Mapping):
            raise DataError(f"{function}: a dict of spend models needs a dict of transaction models with the same keys")
        entries = [("all", model, spend_model)]
    for _, tm, sm in entries:
        reject_unusable(tm, function)
        reject_unusable(sm, function)
        if sm is None:
            raise DataError(f"{function}: a spend model (clv.GammaGamma) is required")
    return Chosen([g for g, _, _ in entries], MLEModelSet({g: tm for g, tm, _ in entries}, {g: sm for g, _, sm in entries}))

"""Channel-level models: maximum-likelihood fits per channel, or posterior draws of a grouped Bayesian model.

Both are model sets (:mod:`clv.model_set`): the bootstrap, the pooled
fallback and its reasons live there; this module names them for channels
and fits them on a pandas RFM frame.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from clv.data.covariates import typical_profile
from clv.errors import DataError
from clv.model_set import POOLED, MLEModelSet, PosteriorModelSet, Progress, fit_groups
from clv.models import GammaGamma, transaction_model_class

__all__ = ["ChannelModels", "PosteriorChannelModels", "fit_channel_models"]


class ChannelModels(MLEModelSet):
    """Maximum-likelihood transaction and spend models fitted per channel.

    Build with :func:`fit_channel_models`, or directly from fitted models.
    Channels without a model of their own (too few customers, or a fit that
    failed, hit a boundary or has no standard errors) use the pooled pair
    stored under ``"*"``; ``sources`` says which channel uses what, and why
    (the policy of :func:`clv.model_set.fit_groups`).

    Attributes
    ----------
    transaction_models, spend_models : dict
        ``{channel: fitted model}``; the key ``"*"`` holds the pooled model.
    sources : dict
        ``{channel: "channel MLE" | "pooled MLE (<reason>)"}``.

    Examples
    --------
    A simulated business with two channels of different quality:

    >>> import pandas as pd, clv
    >>> channels = {"email": {"share": 0.6},
    ...             "search": {"share": 0.4, "params": {"r": 0.2, "alpha": 6.0, "a": 0.9, "b": 2.0}}}
    >>> sim = clv.simulate(1000, seed=3, start="2024-01-01", end="2025-01-01", channels=channels)
    >>> rfm = clv.rfm_summary(sim.transactions, observation_end="2024-12-31")
    >>> acquisitions = clv.read_acquisitions(sim.acquisitions)
    >>> models = clv.fit_channel_models(rfm, acquisitions)
    >>> models.sources
    {'*': 'pooled MLE', 'email': 'channel MLE', 'search': 'channel MLE'}
    >>> models.transaction_models["search"]
    BetaGeo(r=0.2074, alpha=8.155, a=0.8479, b=1.247)

    Score each customer with the models of their channel (the columns of
    :func:`clv.customer_value`):

    >>> scores = models.score(rfm, acquisitions.set_index("customer_id")["channel"],
    ...                       horizon=52, discount_rate=0.1, margin=0.3)
    >>> scores["clv"].groupby(acquisitions.set_index("customer_id")["channel"]).mean().round(1)
    channel
    email     10.7
    search     3.3
    Name: clv, dtype: float64
    """


class PosteriorChannelModels(PosteriorModelSet):
    """Channel-level parameters from posterior draws of grouped Bayesian models.

    Parameters
    ----------
    transaction_model, spend_model : PosteriorDraws
        Fitted grouped models (for instance ``clv.bayes.HierarchicalBetaGeo``
        and ``HierarchicalGammaGamma`` with ``group="channel"``) that provide
        :meth:`clv.model_set.PosteriorDraws.group_param_draws`.
    transaction_class : type, optional
        MLE class whose maths evaluates a draw (``clv.BetaGeo`` for BG/NBD;
        by default the model's ``mle_class``, else ``clv.BetaGeo``).

    Examples
    --------
    Usually built from fitted ``clv.bayes`` models,
    ``clv.PosteriorChannelModels(bayes_bg, bayes_gg)``. Any object with
    ``group_param_draws`` will do; here two fixed draws per channel stand in
    for a posterior:

    >>> import pandas as pd, clv
    >>> class FixedDraws:
    ...     def __init__(self, **params):
    ...         rows = [{"draw": d, "group": g, **{k: v[d] for k, v in params.items()}}
    ...                 for d in (0, 1) for g in ("email", "search")]
    ...         self.table = pd.DataFrame(rows)
    ...     def group_param_draws(self, n_draws, *, seed):
    ...         return self.table
    >>> models = clv.PosteriorChannelModels(FixedDraws(r=[0.24, 0.25], alpha=[4.4, 4.6], a=[0.79, 0.8], b=[2.4, 2.5]),
    ...                                     FixedDraws(p=[6.2, 6.3], q=[3.7, 3.8], v=[15.0, 16.0]))
    >>> draws = models.draws(2, seed=0)
    >>> len(draws), sorted(draws[0])
    (2, ['email', 'search'])
    >>> draws[1]["search"]
    (BetaGeo(r=0.25, alpha=4.6, a=0.8, b=2.5), GammaGamma(p=6.3, q=3.8, v=16))
    """


def fit_channel_models(
    rfm: pd.DataFrame,
    acquisitions: pd.DataFrame,
    *,
    transaction_model: str = "bgnbd",
    min_customers: int = 100,
    penalizer: float = 0.0,
    progress: Progress = None,
    covariates: Mapping[str, Sequence[str]] | None = None,
) -> ChannelModels:
    """Fit a transaction model and a Gamma-Gamma spend model for each channel, plus a pooled pair.

    A channel with fewer than ``min_customers`` customers in ``rfm``, or whose
    fit fails (:class:`clv.ConvergenceError`, or no repeat buyers for the
    spend model), hits a boundary or has no standard errors, uses the pooled
    pair; :attr:`ChannelModels.sources` records it
    (:func:`clv.model_set.fit_groups`). For small channels prefer the
    hierarchical Bayesian model (:mod:`clv.bayes`), which pools partially
    instead.

    Parameters
    ----------
    rfm : pandas.DataFrame
        Output of :func:`clv.rfm_summary`.
    acquisitions : pandas.DataFrame
        Output of :func:`clv.read_acquisitions`.
    transaction_model : {"bgnbd", "mbgnbd", "paretonbd"}
        A name of :data:`clv.models.TRANSACTION_MODELS`.
    min_customers : int
        Smallest channel fitted on its own.
    penalizer : float
        Passed to every model.
    progress : callable, optional
        Called with a short text before each fit.
    covariates : dict, optional
        ``{"purchase": [...], "dropout": [...], "spend": [...]}``: covariate
        columns of ``rfm`` (:func:`clv.attach_covariates`) for every fit, the
        pooled one included (``purchase_covariates`` and so on of the models).
        A new customer of a channel is then valued at the channel's typical
        profile (``ChannelModels.profiles``,
        :func:`clv.data.covariates.typical_profile`). A channel where a
        categorical covariate has one level cannot be fitted with it and uses
        the pooled pair, which says so.

    Returns
    -------
    ChannelModels
        Fitted pairs per channel and the pooled pair under ``"*"``.

    Examples
    --------
    >>> import pandas as pd, clv
    >>> channels = {"email": {"share": 0.6},
    ...             "search": {"share": 0.4, "params": {"r": 0.2, "alpha": 6.0, "a": 0.9, "b": 2.0}}}
    >>> sim = clv.simulate(1000, seed=3, start="2024-01-01", end="2025-01-01", channels=channels)
    >>> rfm = clv.rfm_summary(sim.transactions, observation_end="2024-12-31")
    >>> acquisitions = clv.read_acquisitions(sim.acquisitions)
    >>> models = clv.fit_channel_models(rfm, acquisitions)
    >>> sorted(models.transaction_models), models.spend_models["email"]
    (['*', 'email', 'search'], GammaGamma(p=6.505, q=4.168, v=17.45))

    Channels below ``min_customers`` use the pooled pair:

    >>> clv.fit_channel_models(rfm, acquisitions, min_customers=500).sources["search"]
    'pooled MLE (400 customers < 500)'
    """
    cls = transaction_model_class(transaction_model)
    channel_of = acquisitions.set_index("customer_id")["channel"]
    groups = channel_of.reindex(rfm.index)
    if len(rfm) and len(channel_of) and groups.isna().all():
        raise DataError(
            "column 'customer_id': no customer of the transactions appears in the acquisitions "
            f"(transaction ids like {str(rfm.index[0])!r} of type {rfm.index.dtype}, "
            f"acquisition ids like {str(channel_of.index[0])!r} of type {channel_of.index.dtype})"
        )
    names = sorted(channel_of.unique())
    members = {name: (groups == name).to_numpy() for name in names}

    cov = {k: list(v) for k, v in (covariates or {}).items() if v}
    unknown = set(cov) - {"purchase", "dropout", "spend"}
    if unknown:
        raise DataError(f"covariates: unknown group {sorted(unknown)[0]!r}; use 'purchase', 'dropout' or 'spend'")
    t_args = {f"{k}_covariates": cov[k] for k in ("purchase", "dropout") if k in cov}
    s_args = {"spend_covariates": cov["spend"]} if "spend" in cov else {}

    def fit_pair(name: str | None) -> tuple[Any, Any]:
        sub = rfm if name is None else rfm.loc[members[name]]
        return cls(penalizer=penalizer, **t_args).fit(sub), GammaGamma(penalizer=penalizer, **s_args).fit(sub)

    sizes = {name: int(mask.sum()) for name, mask in members.items()}
    label = f"{cls.__name__} + GammaGamma" + (" with covariates" if cov else "")
    models = fit_groups(names, sizes, fit_pair, label=label, n_all=len(rfm), min_customers=min_customers, progress=progress,
                        cls=ChannelModels)
    if cov:
        columns = list(dict.fromkeys(c for cols in cov.values() for c in cols))
        models.profiles = {POOLED: typical_profile(rfm, columns)}
        models.profiles.update({name: typical_profile(rfm.loc[members[name]], columns) for name in names if sizes[name]})
    return models  # type: ignore[return-value]

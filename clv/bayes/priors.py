"""Default priors of the Bayesian models, kept as data, and the group-level parameter structure.

Each model samples a few unconstrained quantities, each the *link* (``log`` or
``logit``) of an interpretable parameter, and maps them to its natural
parameters:

* BG/NBD: ``log r`` (shape of the purchase-rate distribution), ``log(r /
  alpha)`` (``purchase_rate``: mean purchases per time unit while alive),
  ``logit(a / (a + b))`` (``dropout``: mean probability of dropping out after
  a purchase) and ``log(a + b)`` (``concentration`` of the dropout
  distribution). The two means are what the data pin down best; pooling them
  directly keeps the shrinkage of a small group off the long, poorly
  identified ridges of ``(r, alpha)`` and ``(a, b)``, which sampling
  ``log r, log alpha, log a, log b`` separately suffered from (the pooled
  estimates of a well-identified ratio moved with the ridge).
* Gamma-Gamma: ``log p`` (shape of a customer's spend per transaction),
  ``log(p v / (q - 1))`` (``mean_spend``: the population mean spend per
  transaction, eq. 5 without history) and ``log(q - 1)`` (``q_minus_1``: the
  tail of the distribution of customers' mean spends). The likelihood pins
  the mean spend down and leaves ``q`` and ``v`` on a long ridge along
  which ``v / (q - 1)`` stays fixed: sampling ``log p, log q, log v``
  directly gave posterior correlations of -0.95 to -0.97 between ``log p``
  and ``log v`` and condition numbers of the posterior correlation matrix of
  500-900 per group on the demo data, so NUTS with a diagonal mass matrix
  needed step sizes of 0.02-0.03 and 127-255 gradients per draw; in the
  sampled coordinates the condition numbers are 7-9. ``q > 1`` is implied:
  the mean spend, which valuation needs, exists only then.

For a sampled quantity ``k`` with link ``f``, with groups (hierarchical model)::

    mu_f_k      ~ Normal(loc_k, scale_k)                    population mean of f(k)
    sigma_f_k   ~ LogNormal(log(spread_k), spread_sd_k)     spread of f(k) across groups
    f(k)[g]     ~ Normal(mu_f_k, sigma_f_k)                 group value

(``f_k`` reads ``log_r``, ``logit_dropout``, ...). The group values are
sampled through ``z_k[g]``, partially centred per group by how tightly the
group's own data pin ``f(k)`` down (:func:`group_parameters`,
:mod:`clv.bayes.centring`): the same model, a parameterisation that keeps
NUTS off the funnels of both the centred and the non-centred forms.

The spread prior avoids zero. With a handful of groups (six channels on the
demo shop) the data cannot tell a spread of 0.01 from one of 0.1 on the log
scale, and a prior with mass at zero (the former ``HalfNormal(1)``) let the
sampler wander down the funnel where every group collapses onto the
population mean: on the demo, ``sigma_log_p`` (Gamma-Gamma) had bulk ESS 198
and ``sigma_log_concentration`` (BG/NBD) 255 from 1,000 draws, with
divergences, and the step size fell to 0.15. ``LogNormal(log 0.25, 0.75)``
puts 95% of its mass on spreads from 0.06 to 1.1, i.e. groups differing by
6% to a factor of 3 in ``r``, the mean purchase rate, the mean spend, ... It
is a boundary-avoiding prior in the sense of Chung et al. (2013, "A
nondegenerate penalized likelihood estimator for variance parameters in
multilevel models", Psychometrika 78): it pulls a spread the data leave
undetermined away from zero by a little (groups pool slightly less), and
moves a well-identified spread (six groups each known to +-0.05) by a few
per cent at most. Its left tail is Gaussian on ``log sigma``, the scale NUTS
samples. The spreads are on link scales, so the prior does not depend on the
time or currency unit.

Without groups (``group=None``) the model is the plain Bayesian one::

    f_k ~ Normal(loc_k, scale_k)

The defaults are weakly informative for data in weeks (the library's default
time unit): each ``Normal(loc, scale)`` on the log scale puts 95% of its mass
within a factor ``exp(2 scale)`` of ``exp(loc)``: a factor of 20 around
``r = 1``, of 55 around 0.08 purchases a week; ``logit(dropout) ~ Normal(-1,
1.5)`` covers dropout probabilities from 1.5% to 88%, and ``log(a + b) ~
Normal(1, 1)`` concentrations from 0.4 to 20 (a flatter prior lets the
posterior mean wander along the ridge of the dropout likelihood: on CDNOW the
posterior mean of ``b`` drifted 6-12% above the MLE with a wide prior). Override
any entry with the ``priors`` argument of the models, e.g.
``priors={"purchase_rate": {"loc": -4.5}}`` for data in days, or
``{"concentration": {"spread": 0.1, "spread_sd": 0.5}}`` for groups known to
be alike.
"""

from __future__ import annotations

from copy import deepcopy
from typing import Any, Mapping

import numpy as np

__all__ = [
    "BETA_GEO_LINKS",
    "BETA_GEO_PRIORS",
    "GAMMA_GAMMA_LINKS",
    "GAMMA_GAMMA_PRIORS",
    "SPREAD",
    "free_variable_names",
    "group_parameters",
    "resolve_priors",
    "spread_log_density",
    "spread_prior",
]

#: Default spread prior of every sampled quantity (median and log-scale sd of ``sigma``; see the module docstring).
SPREAD: dict[str, float] = {"spread": 0.25, "spread_sd": 0.75}

#: BG/NBD sampled quantities and their links (see the module docstring).
BETA_GEO_LINKS: dict[str, str] = {"r": "log", "purchase_rate": "log", "dropout": "logit", "concentration": "log"}

#: BG/NBD priors: ``link(k) ~ Normal(loc, scale)``, group spread ``~ LogNormal(log(spread), spread_sd)``.
BETA_GEO_PRIORS: dict[str, dict[str, float]] = {
    "r": {"loc": 0.0, "scale": 1.5, **SPREAD},
    "purchase_rate": {"loc": -2.5, "scale": 2.0, **SPREAD},
    "dropout": {"loc": -1.0, "scale": 1.5, **SPREAD},
    "concentration": {"loc": 1.0, "scale": 1.0, **SPREAD},
}

#: Gamma-Gamma sampled quantities and their links (see the module docstring).
GAMMA_GAMMA_LINKS: dict[str, str] = {"p": "log", "mean_spend": "log", "q_minus_1": "log"}

#: Gamma-Gamma priors (``mean_spend`` is in currency units: its wide scale covers cents to thousands).
GAMMA_GAMMA_PRIORS: dict[str, dict[str, float]] = {
    "p": {"loc": 1.0, "scale": 1.5, **SPREAD},
    "mean_spend": {"loc": 3.5, "scale": 3.0, **SPREAD},
    "q_minus_1": {"loc": 1.0, "scale": 1.5, **SPREAD},
}

_KEYS = ("loc", "scale", "spread", "spread_sd")


def resolve_priors(defaults: Mapping[str, Mapping[str, float]], overrides: Mapping[str, Mapping[str, float]] | None) -> dict[str, dict[str, float]]:
    """Defaults updated entry by entry with ``overrides``; unknown names or keys raise ``ValueError``."""
    out = deepcopy({k: dict(v) for k, v in defaults.items()})
    for name, entry in (overrides or {}).items():
        if name not in out:
            raise ValueError(f"priors: unknown parameter {name!r}; expected some of {list(out)}")
        for key, value in entry.items():
            if key not in _KEYS:
                raise ValueError(f"priors[{name!r}]: unknown key {key!r}; expected some of {list(_KEYS)}")
            value = float(value)
            if key != "loc" and not value > 0:
                raise ValueError(f"priors[{name!r}][{key!r}] must be positive, got {value}")
            out[name][key] = value
    return out


def free_variable_names(links: Mapping[str, str], hierarchical: bool) -> list[str]:
    """Names of the free random variables :func:`group_parameters` creates (in that order)."""
    names = []
    for name, link in links.items():
        if hierarchical:
            names += [f"mu_{link}_{name}", f"sigma_{link}_{name}", f"z_{name}"]
        else:
            names.append(f"{link}_{name}")
    return names


def spread_prior(name: str, prior: Mapping[str, float]) -> Any:
    """The group spread ``sigma ~ LogNormal(log(spread), spread_sd)`` of one sampled quantity, in the current PyMC model."""
    import pymc as pm

    return pm.LogNormal(name, np.log(prior["spread"]), prior["spread_sd"])


def spread_log_density(prior: Mapping[str, float], sigma: float) -> float:
    """Log density of :func:`spread_prior` at ``sigma``, up to a constant.

    Parameters
    ----------
    prior : mapping
        One resolved prior entry (``spread``, ``spread_sd``).
    sigma : float
        A positive spread.

    Returns
    -------
    float
        ``log LogNormal(sigma | log(spread), spread_sd)`` without its constant.

    Examples
    --------
    >>> spread_log_density({"spread": 0.25, "spread_sd": 0.75}, 0.25) > spread_log_density({"spread": 0.25, "spread_sd": 0.75}, 0.01)
    True
    """
    log_sigma = np.log(sigma)
    return float(-log_sigma - 0.5 * ((log_sigma - np.log(prior["spread"])) / prior["spread_sd"]) ** 2)


def group_parameters(
    priors: Mapping[str, Mapping[str, float]],
    links: Mapping[str, str],
    hierarchical: bool,
    centering: Mapping[str, tuple[np.ndarray, float]] | None = None,
) -> dict[str, Any]:
    """Create the sampled quantities, on their link scale, inside the current PyMC model context.

    Returns ``{name: tensor of shape (n_groups,)}`` holding ``link(k)`` for
    each entry of ``links`` (the model maps them to its natural parameters);
    the model must have a ``"group"`` coordinate (one level when not
    ``hierarchical``).

    ``centering[name] = (w, s)`` gives, per group, the weight ``w`` in
    ``[0, 1]`` of a partially centred parameterisation of ``name``, and a
    typical spread ``s`` (default: every ``w = 0``, ``s = 1``)::

        z[g]    ~ Normal(w[g] mu, s^(1 - w[g]) sigma^w[g])
        f(k)[g] = mu + (sigma / s)^(1 - w[g]) (z[g] - w[g] mu)

    so that ``f(k)[g] ~ Normal(mu, sigma)`` whatever ``w`` (the same model).
    ``w = 0`` is the non-centred form (``z / s`` standard normal), ``w = 1``
    the centred one (``z = f(k)``). Non-centring removes the funnel of weakly
    informed groups; for a group whose data pin a quantity down far more
    tightly than the groups differ, the non-centred posterior becomes a
    curved ridge that NUTS crosses with tiny steps, which the centred form
    avoids (Papaspiliopoulos, Roberts & Skold 2007). In between, the weight
    ``w = s^2 / (s^2 + sd^2)`` of a group whose own data give the quantity a
    posterior sd ``sd`` makes the group's ``z`` independent of ``mu`` a
    posteriori in the normal-normal model at ``sigma = s`` (partial
    non-centring, Papaspiliopoulos, Roberts & Skold 2003; Gorinova, Moore &
    Hoffman 2020). The free variables are ``z_k`` (dims ``group``).
    """
    import pymc as pm
    import pytensor.tensor as pt

    out = {}
    model = pm.modelcontext(None)
    n_groups = len(model.coords["group"])
    for name, link in links.items():
        prior = priors[name]
        if not hierarchical:
            out[name] = pt.atleast_1d(pm.Normal(f"{link}_{name}", prior["loc"], prior["scale"]))
            continue
        w, s = (np.zeros(n_groups), 1.0) if centering is None else centering[name]
        w = np.clip(np.asarray(w, dtype=float), 0.0, 1.0)
        mu = pm.Normal(f"mu_{link}_{name}", prior["loc"], prior["scale"])
        sigma = spread_prior(f"sigma_{link}_{name}", prior)
        z = pm.Normal(f"z_{name}", w * mu, s ** (1.0 - w) * sigma**w, dims="group")
        out[name] = mu + (sigma / s) ** (1.0 - w) * (z - w * mu)
    return out

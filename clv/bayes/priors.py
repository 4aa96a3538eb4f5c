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

For a sampled quantity ``k`` with link ``f``, with groups (hierarchical model,
non-centred parameterisation by default)::

    mu_f_k      ~ Normal(loc_k, scale_k)          population mean of f(k)
    sigma_f_k   ~ HalfNormal(spread_k)            spread of f(k) across groups
    z_k[g]      ~ Normal(0, 1)                    standardised group effect
    f(k)[g]     = mu_f_k + sigma_f_k * z_k[g]

(``f_k`` reads ``log_r``, ``logit_dropout``, ...). Some groups are centred
instead, ``f_k_centered[g] ~ Normal(mu_f_k, sigma_f_k)``: the same model, a
parameterisation that suits data-rich groups (see :func:`group_parameters`).
Which groups are centred is a model setting (``centered_from``): by default
per quantity, for the groups whose data pin it down more tightly than the
groups differ (:meth:`clv.bayes.base.BayesianModel.centering`).

Without groups (``group=None``) the model is the plain Bayesian one::

    f_k ~ Normal(loc_k, scale_k)

The defaults are weakly informative for data in weeks (the library's default
time unit): each ``Normal(loc, scale)`` on the log scale puts 95% of its mass
within a factor ``exp(2 scale)`` of ``exp(loc)``: a factor of 20 around
``r = 1``, of 55 around 0.08 purchases a week; ``logit(dropout) ~ Normal(-1,
1.5)`` covers dropout probabilities from 1.5% to 88%, and ``log(a + b) ~
Normal(1, 1)`` concentrations from 0.4 to 20 (a flatter prior lets the
posterior mean wander along the ridge of the dropout likelihood: on CDNOW the
posterior mean of ``b`` drifted 6-12% above the MLE with a wide prior). The
spread prior ``HalfNormal(1)`` allows groups to differ by a factor of a few
while still pooling small groups towards the population. Override any entry
with the ``priors`` argument of the models, e.g. ``priors={"purchase_rate":
{"loc": -4.5}}`` for data in days.
"""

from __future__ import annotations

from copy import deepcopy
from typing import Any, Mapping, Sequence

import numpy as np

__all__ = [
    "BETA_GEO_LINKS",
    "BETA_GEO_PRIORS",
    "GAMMA_GAMMA_LINKS",
    "GAMMA_GAMMA_PRIORS",
    "free_variable_names",
    "group_parameters",
    "resolve_priors",
]

#: BG/NBD sampled quantities and their links (see the module docstring).
BETA_GEO_LINKS: dict[str, str] = {"r": "log", "purchase_rate": "log", "dropout": "logit", "concentration": "log"}

#: BG/NBD priors: ``link(k) ~ Normal(loc, scale)``, group spread ``~ HalfNormal(spread)``.
BETA_GEO_PRIORS: dict[str, dict[str, float]] = {
    "r": {"loc": 0.0, "scale": 1.5, "spread": 1.0},
    "purchase_rate": {"loc": -2.5, "scale": 2.0, "spread": 1.0},
    "dropout": {"loc": -1.0, "scale": 1.5, "spread": 1.0},
    "concentration": {"loc": 1.0, "scale": 1.0, "spread": 1.0},
}

#: Gamma-Gamma sampled quantities and their links (see the module docstring).
GAMMA_GAMMA_LINKS: dict[str, str] = {"p": "log", "mean_spend": "log", "q_minus_1": "log"}

#: Gamma-Gamma priors (``mean_spend`` is in currency units: its wide scale covers cents to thousands).
GAMMA_GAMMA_PRIORS: dict[str, dict[str, float]] = {
    "p": {"loc": 1.0, "scale": 1.5, "spread": 1.0},
    "mean_spend": {"loc": 3.5, "scale": 3.0, "spread": 1.0},
    "q_minus_1": {"loc": 1.0, "scale": 1.5, "spread": 1.0},
}

_KEYS = ("loc", "scale", "spread")


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
            names += [f"mu_{link}_{name}", f"sigma_{link}_{name}", f"z_{name}", f"{link}_{name}_centered"]
        else:
            names.append(f"{link}_{name}")
    return names


def group_parameters(
    priors: Mapping[str, Mapping[str, float]],
    links: Mapping[str, str],
    hierarchical: bool,
    centered: Mapping[str, Sequence[bool]] | None = None,
) -> dict[str, Any]:
    """Create the sampled quantities, on their link scale, inside the current PyMC model context.

    Returns ``{name: tensor of shape (n_groups,)}`` holding ``link(k)`` for
    each entry of ``links`` (the model maps them to its natural parameters);
    the model must have a ``"group"`` coordinate (one level when not
    ``hierarchical``).

    ``centered[name]`` flags, per group, the groups whose value of ``name`` is
    drawn directly as ``Normal(mu, sigma)`` (centred) instead of through ``z``
    (non-centred, the default). Non-centring removes the funnel of weakly
    informed groups; for a group whose data pin a quantity down far more
    tightly than the groups differ, the non-centred posterior becomes a
    curved ridge that NUTS crosses with tiny steps, which the centred form
    avoids (Papaspiliopoulos, Roberts & Skold 2007; Betancourt & Girolami
    2013). The free variables are ``z_k`` (dims ``k_nc``, the non-centred
    groups) and ``f_k_centered`` (dims ``k_c``).
    """
    import pymc as pm
    import pytensor.tensor as pt

    out = {}
    model = pm.modelcontext(None)
    levels = list(model.coords["group"])
    for name, link in links.items():
        prior = priors[name]
        if not hierarchical:
            out[name] = pt.atleast_1d(pm.Normal(f"{link}_{name}", prior["loc"], prior["scale"]))
            continue
        flags = np.zeros(len(levels), dtype=bool) if centered is None else np.asarray(centered[name], dtype=bool)
        mu = pm.Normal(f"mu_{link}_{name}", prior["loc"], prior["scale"])
        sigma = pm.HalfNormal(f"sigma_{link}_{name}", prior["spread"])
        value = pt.zeros(len(levels))
        nc, c = np.flatnonzero(~flags), np.flatnonzero(flags)
        if len(nc):
            model.add_coord(f"{name}_nc", [levels[i] for i in nc])
            z = pm.Normal(f"z_{name}", 0.0, 1.0, dims=f"{name}_nc")
            value = pt.set_subtensor(value[nc], mu + sigma * z)
        if len(c):
            model.add_coord(f"{name}_c", [levels[i] for i in c])
            direct = pm.Normal(f"{link}_{name}_centered", mu, sigma, dims=f"{name}_c")
            value = pt.set_subtensor(value[c], direct)
        out[name] = value
    return out

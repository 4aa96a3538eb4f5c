"""Default priors of the Bayesian models, kept as data, and the group-level parameter structure.

Every model parameter ``k`` (``r, alpha, a, b`` for BG/NBD, ``p, q, v`` for
Gamma-Gamma) is positive and modelled on the log scale. With groups
(hierarchical model, non-centred parameterisation)::

    mu_log_k    ~ Normal(loc_k, scale_k)          population mean of log k
    sigma_log_k ~ HalfNormal(spread_k)            spread of log k across groups
    z_k[g]      ~ Normal(0, 1)                    standardised group effect
    k[g]        = exp(mu_log_k + sigma_log_k * z_k[g])

Groups with at least ``centered_from`` customers (a model setting, 2,000 by
default) are centred instead, ``log k[g] ~ Normal(mu_log_k, sigma_log_k)``:
the same model, a parameterisation that suits data-rich groups (see
:func:`positive_parameters`); ``centered_from=None`` keeps every group
non-centred.

Without groups (``group=None``) the model is the plain Bayesian one::

    log_k ~ Normal(loc_k, scale_k),   k = exp(log_k)

The defaults are weakly informative for data in weeks (the library's default
time unit): each ``Normal(loc, scale)`` puts 95% of its mass within a factor
``exp(2 scale)`` of ``exp(loc)`` (a factor of 20 for ``r`` and 55 for
``alpha``; 7 for the dropout pair ``a, b``, whose likelihood has a long ridge
along constant ``a / (a + b)`` that a flatter prior lets the posterior mean
drift up: on CDNOW a scale of 1.5 put the posterior mean of ``b`` 6-12% above
the MLE, depending on the run), and the spread prior
``HalfNormal(1)`` allows groups to differ by a factor of a few while still
pooling small groups towards the population. Override any entry with the
``priors`` argument of the models, e.g. ``priors={"alpha": {"loc": 3.4}}`` for
data in days.
"""

from __future__ import annotations

from copy import deepcopy
from typing import Any, Mapping, Sequence

import numpy as np

__all__ = ["BETA_GEO_PRIORS", "GAMMA_GAMMA_PRIORS", "positive_parameters", "resolve_priors"]

#: BG/NBD priors: ``log k ~ Normal(loc, scale)``, group spread ``~ HalfNormal(spread)``.
BETA_GEO_PRIORS: dict[str, dict[str, float]] = {
    "r": {"loc": 0.0, "scale": 1.5, "spread": 1.0},
    "alpha": {"loc": 1.0, "scale": 2.0, "spread": 1.0},
    "a": {"loc": 0.0, "scale": 1.0, "spread": 1.0},
    "b": {"loc": 0.5, "scale": 1.0, "spread": 1.0},
}

#: Gamma-Gamma priors (``v`` is in currency units: its wide scale covers cents to thousands).
GAMMA_GAMMA_PRIORS: dict[str, dict[str, float]] = {
    "p": {"loc": 1.0, "scale": 1.5, "spread": 1.0},
    "q": {"loc": 1.0, "scale": 1.5, "spread": 1.0},
    "v": {"loc": 2.5, "scale": 3.0, "spread": 1.0},
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


def positive_parameters(
    priors: Mapping[str, Mapping[str, float]], hierarchical: bool, centered: Sequence[bool] | None = None
) -> dict[str, Any]:
    """Create the model's positive parameters inside the current PyMC model context.

    Returns ``{name: tensor of shape (n_groups,)}``; the model must have a
    ``"group"`` coordinate (one level when not ``hierarchical``). Each
    parameter is also registered as a deterministic with dims ``("group",)``.

    ``centered`` flags, per group, the groups whose log-parameters are drawn
    directly as ``Normal(mu_log_k, sigma_log_k)`` (centred) instead of through
    ``z_k`` (non-centred, the default for every group). Non-centring removes
    the funnel of weakly informed groups; for a group with thousands of
    customers the data pin ``mu + sigma * z`` down and the non-centred
    posterior becomes a curved ridge that NUTS crosses with tiny steps, which
    the centred form avoids (Papaspiliopoulos, Roberts & Skold 2007; Betancourt
    & Girolami 2013). The free variables are ``z_k`` (dims ``group_nc``) and
    ``log_k_centered`` (dims ``group_c``).
    """
    import pymc as pm
    import pytensor.tensor as pt

    params = {}
    model = pm.modelcontext(None)
    levels = list(model.coords["group"])
    flags = np.zeros(len(levels), dtype=bool) if centered is None else np.asarray(centered, dtype=bool)
    nc, c = np.flatnonzero(~flags), np.flatnonzero(flags)
    if hierarchical:
        if len(nc) and "group_nc" not in model.coords:
            model.add_coord("group_nc", [levels[i] for i in nc])
        if len(c) and "group_c" not in model.coords:
            model.add_coord("group_c", [levels[i] for i in c])
    for name, prior in priors.items():
        if hierarchical:
            mu = pm.Normal(f"mu_log_{name}", prior["loc"], prior["scale"])
            sigma = pm.HalfNormal(f"sigma_log_{name}", prior["spread"])
            log_k = pt.zeros(len(levels))
            if len(nc):
                z = pm.Normal(f"z_{name}", 0.0, 1.0, dims="group_nc")
                log_k = pt.set_subtensor(log_k[nc], mu + sigma * z)
            if len(c):
                direct = pm.Normal(f"log_{name}_centered", mu, sigma, dims="group_c")
                log_k = pt.set_subtensor(log_k[c], direct)
        else:
            log_k = pt.atleast_1d(pm.Normal(f"log_{name}", prior["loc"], prior["scale"]))
        params[name] = pm.Deterministic(name, pt.exp(log_k), dims="group")
    return params

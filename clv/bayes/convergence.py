"""Convergence diagnostics of a posterior sample (Vehtari et al. 2021, "Rank-normalization, folding, and localization")."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Sequence

import numpy as np

__all__ = ["Diagnostics", "diagnose"]


@dataclass(frozen=True)
class Diagnostics:
    """Summary of the sampler's health.

    Attributes
    ----------
    max_rhat : float
        Largest rank-normalised split R-hat over all free parameters.
    min_ess_bulk, min_ess_tail : float
        Smallest bulk and tail effective sample sizes.
    divergences : int
        Divergent transitions after tuning.
    chains, draws : int
        Shape of the sample.
    rhat_max, ess_min : float
        Thresholds applied.
    passed : bool
        ``max_rhat < rhat_max``, no divergence, and both ESS at least ``ess_min``.

    Examples
    --------
    A fitted model returns one from ``model.diagnostics()``; here
    :func:`diagnose` checks four well-mixed chains of independent draws:

    >>> import numpy as np, arviz as az
    >>> from clv.bayes.convergence import diagnose
    >>> idata = az.from_dict(posterior={"mu": np.random.default_rng(0).normal(size=(4, 500))})
    >>> diag = diagnose(idata, ["mu"])
    >>> diag.passed, diag.chains, diag.draws, diag.divergences, round(diag.max_rhat, 2)
    (True, 4, 500, 0, 1.0)
    >>> sorted(diag.to_dict())[:3]
    ['chains', 'divergences', 'draws']
    """

    max_rhat: float
    min_ess_bulk: float
    min_ess_tail: float
    divergences: int
    chains: int
    draws: int
    rhat_max: float
    ess_min: float
    passed: bool

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict form (JSON-ready)."""
        return asdict(self)


def diagnose(idata: Any, var_names: Sequence[str], *, rhat_max: float = 1.01, ess_min: float = 400.0) -> Diagnostics:
    """Compute :class:`Diagnostics` for ``var_names`` of ``idata.posterior``.

    The default thresholds follow Vehtari et al. (2021): R-hat below 1.01 and
    an effective sample size of at least 100 per chain for four chains.
    """
    import arviz as az

    post = idata.posterior[list(var_names)]
    rhat = az.rhat(post)
    bulk = az.ess(post, method="bulk")
    tail = az.ess(post, method="tail")

    def extreme(ds: Any, fn: Any) -> float:
        values = np.concatenate([np.ravel(ds[v].values) for v in ds.data_vars])
        return float(fn(values)) if values.size else float("nan")

    stats = getattr(idata, "sample_stats", None)
    divergences = int(stats["diverging"].values.sum()) if stats is not None and "diverging" in stats else 0
    max_rhat = extreme(rhat, np.max)
    min_bulk, min_tail = extreme(bulk, np.min), extreme(tail, np.min)
    passed = bool(max_rhat < rhat_max and divergences == 0 and min_bulk >= ess_min and min_tail >= ess_min)
    return Diagnostics(
        max_rhat=max_rhat,
        min_ess_bulk=min_bulk,
        min_ess_tail=min_tail,
        divergences=divergences,
        chains=int(post.sizes["chain"]),
        draws=int(post.sizes["draw"]),
        rhat_max=float(rhat_max),
        ess_min=float(ess_min),
        passed=passed,
    )

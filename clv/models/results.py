"""Fit results, kept apart from the model that produced them (statsmodels style)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["FitResult"]


@dataclass(frozen=True)
class FitResult:
    """Outcome of a maximum-likelihood fit.

    Parameters are estimated on the log scale, so the covariance is kept for
    the log-parameters (``cov_log``, the inverse observed information).
    Standard errors on the natural scale follow by the delta method
    (``se = theta * se_log``); intervals are ``exp(log theta +/- z se_log)``,
    which keeps them positive. Covariate coefficients (named in ``linear``)
    are estimated as they are: ``cov_log`` holds them unchanged, their
    standard error is ``se`` and their interval ``g +/- z se``.

    Attributes
    ----------
    model : str
        Class name of the fitted model.
    param_names : tuple of str
        Parameter names, in the order of ``estimates``.
    estimates : numpy.ndarray
        Point estimates on the natural scale.
    cov_log : numpy.ndarray
        Covariance of the log-parameters (NaN when not available).
    log_likelihood : float
    n_obs : float
        Number of customers (sum of the weights).
    n_unique : int
        Distinct likelihood tuples the fit evaluated.
    converged : bool
    iterations : int
    message : str
        The optimiser's closing message.
    extra : dict
        Model-specific details (e.g. Gamma-Gamma ``exclusions``).
    linear : tuple of str
        Names of the quantities estimated on their own scale (covariate
        coefficients such as ``purchase:region=north``), not on the log scale.

    Examples
    --------
    >>> import clv
    >>> rfm = clv.rfm_summary(clv.datasets.load_cdnow(), observation_end="1997-09-30")
    >>> result = clv.BetaGeo().fit(rfm).result_
    >>> result.std_err.round(3).to_dict()
    {'r': 0.013, 'alpha': 0.378, 'a': 0.186, 'b': 0.705}
    >>> result.conf_int(0.95).round(3)
           lower 95%  upper 95%
    r          0.219      0.268
    alpha      3.731      5.221
    a          0.501      1.255
    b          1.372      4.289
    >>> round(float(result.aic), 1), round(float(result.bic), 1)
    (19172.9, 19195.9)
    >>> result.sample_params(200, seed=0).shape
    (200, 4)
    """

    model: str
    param_names: tuple[str, ...]
    estimates: np.ndarray
    cov_log: np.ndarray
    log_likelihood: float
    n_obs: float
    n_unique: int
    converged: bool
    iterations: int
    message: str
    extra: dict[str, Any] = field(default_factory=dict)
    linear: tuple[str, ...] = ()

    def _is_log(self) -> np.ndarray:
        return np.array([name not in self.linear for name in self.param_names], dtype=bool)

    def _to_coords(self, values: np.ndarray) -> np.ndarray:
        """Natural values to the estimation coordinates (log, or as they are for ``linear``)."""
        if not self.linear:
            return np.log(values)
        return np.where(self._is_log(), np.log(np.where(self._is_log(), values, 1.0)), values)

    def _from_coords(self, coords: np.ndarray) -> np.ndarray:
        if not self.linear:
            return np.exp(coords)
        return np.where(self._is_log(), np.exp(coords), coords)

    @property
    def params(self) -> pd.Series:
        """Point estimates as a Series named by parameter."""
        return pd.Series(self.estimates, index=list(self.param_names), name="estimate")

    @property
    def std_err(self) -> pd.Series:
        """Delta-method standard errors on the natural scale."""
        se_log = np.sqrt(np.clip(np.diag(self.cov_log), 0.0, None))
        scale = self.estimates if not self.linear else np.where(self._is_log(), self.estimates, 1.0)
        return pd.Series(scale * se_log, index=list(self.param_names), name="std_err")

    def conf_int(self, level: float = 0.95) -> pd.DataFrame:
        """Two-sided intervals ``exp(log theta +/- z se_log)`` at ``level``."""
        z = stats.norm.ppf(0.5 + level / 2)
        se_log = np.sqrt(np.clip(np.diag(self.cov_log), 0.0, None))
        log_est = self._to_coords(self.estimates)
        pct = f"{level:.0%}"
        return pd.DataFrame(
            {f"lower {pct}": self._from_coords(log_est - z * se_log), f"upper {pct}": self._from_coords(log_est + z * se_log)},
            index=list(self.param_names),
        )

    @property
    def aic(self) -> float:
        """Akaike information criterion, ``2k - 2 LL``."""
        return 2 * len(self.estimates) - 2 * self.log_likelihood

    @property
    def bic(self) -> float:
        """Bayesian information criterion, ``k ln n - 2 LL``."""
        return len(self.estimates) * np.log(self.n_obs) - 2 * self.log_likelihood

    def summary(self, level: float = 0.95) -> pd.DataFrame:
        """Table of estimate, standard error and interval per parameter.

        ``attrs`` carries the log-likelihood, AIC, BIC, number of customers
        and convergence information.
        """
        table = pd.concat([self.params, self.std_err, self.conf_int(level)], axis=1)
        table.index.name = self.model
        table.attrs.update(
            {
                "log_likelihood": self.log_likelihood,
                "aic": self.aic,
                "bic": self.bic,
                "n_obs": self.n_obs,
                "n_unique": self.n_unique,
                "converged": self.converged,
                "iterations": self.iterations,
                **self.extra,
            }
        )
        return table

    def sample_params(self, n: int, *, seed: int) -> pd.DataFrame:
        """Draw parameter sets from the asymptotic normal of the log-parameters.

        Used for parametric-bootstrap intervals of derived quantities. A
        model may set floors in ``extra["draw_floor"]`` (Gamma-Gamma: ``q > 1``,
        where the mean spend is finite); draws at or below a floor are
        redrawn, so the draws follow the normal conditioned on that region.
        """
        rng = np.random.default_rng(seed)
        mean = self._to_coords(self.estimates)
        draws = self._from_coords(rng.multivariate_normal(mean, self.cov_log, size=n, method="eigh"))
        floors = {k: v for k, v in self.extra.get("draw_floor", {}).items() if k in self.param_names}
        if floors:
            # Draws at or below a parameter's floor (e.g. Gamma-Gamma's q <= 1, an infinite mean spend) are redrawn:
            # the draws are conditioned on the region where the model's predictions are finite.
            cols = [self.param_names.index(k) for k in floors]
            limit = np.array(list(floors.values()))
            for _ in range(100):
                bad = np.any(draws[:, cols] <= limit, axis=1)
                if not bad.any():
                    break
                draws[bad] = self._from_coords(rng.multivariate_normal(mean, self.cov_log, size=int(bad.sum()), method="eigh"))
            draws[:, cols] = np.maximum(draws[:, cols], limit * (1 + 1e-9))
        return pd.DataFrame(draws, columns=list(self.param_names))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready representation (floats round-trip exactly through :mod:`json`)."""
        return {
            "model": self.model,
            "param_names": list(self.param_names),
            "estimates": [float(v) for v in self.estimates],
            "cov_log": [[float(v) for v in row] for row in self.cov_log],
            "log_likelihood": float(self.log_likelihood),
            "n_obs": float(self.n_obs),
            "n_unique": int(self.n_unique),
            "converged": bool(self.converged),
            "iterations": int(self.iterations),
            "message": self.message,
            "extra": self.extra,
            **({"linear": list(self.linear)} if self.linear else {}),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FitResult:
        """Inverse of :meth:`to_dict`."""
        return cls(
            model=data["model"],
            param_names=tuple(data["param_names"]),
            estimates=np.asarray(data["estimates"], dtype=float),
            cov_log=np.asarray(data["cov_log"], dtype=float),
            log_likelihood=float(data["log_likelihood"]),
            n_obs=float(data["n_obs"]),
            n_unique=int(data["n_unique"]),
            converged=bool(data["converged"]),
            iterations=int(data["iterations"]),
            message=str(data["message"]),
            extra=dict(data.get("extra", {})),
            linear=tuple(data.get("linear", ())),
        )

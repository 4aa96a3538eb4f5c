"""Simulate transaction logs from the BG/NBD + Gamma-Gamma generative process."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np
import pandas as pd

from clv.data.summary import time_unit_days
from clv.errors import DataError
from clv.kernels.timechange import calendar_time, operational_time

__all__ = ["Simulation", "simulate"]

_DEFAULT_PARAMS = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
_DEFAULT_PARETO = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}
_MODELS = {"BetaGeo": ("r", "alpha", "a", "b"), "ModifiedBetaGeo": ("r", "alpha", "a", "b"), "ParetoNBD": ("r", "alpha", "s", "beta")}
_DEFAULT_SPEND = {"p": 6.25, "q": 3.74, "v": 15.44}


@dataclass(frozen=True)
class Simulation:
    """A simulated business: what a user would see, and the truth behind it.

    Attributes
    ----------
    transactions : pandas.DataFrame
        ``customer_id, date, amount``, one row per purchase (timestamps).
    customers : pandas.DataFrame
        One row per customer, index ``customer_id``: ``channel, acquired_at``
        and the true latent values ``purchase_rate`` (lambda per time unit),
        ``dropout_probability`` (p), ``mean_spend`` (p_spend / nu), ``died_at``
        (NaT when still alive at ``end``), ``alive_at_end`` and the exact
        sufficient statistics ``frequency, recency, T`` in time units
        (continuous time, no same-day merging).

    Examples
    --------
    >>> import clv
    >>> sim = clv.simulate(200, seed=1, start="2024-01-01", end="2024-12-31")
    >>> sim.customers.columns.tolist()
    ['channel', 'acquired_at', 'purchase_rate', 'dropout_probability', 'mean_spend', 'died_at', 'alive_at_end', 'frequency', 'recency', 'T']
    >>> sim.acquisitions.columns.tolist(), len(sim.acquisitions)
    (['customer_id', 'channel', 'acquired_at'], 200)
    """

    transactions: pd.DataFrame
    customers: pd.DataFrame

    @property
    def acquisitions(self) -> pd.DataFrame:
        """``customer_id, channel, acquired_at`` as :func:`clv.read_acquisitions` expects."""
        return self.customers[["channel", "acquired_at"]].reset_index()


def _check_params(params: Mapping[str, float], names: tuple[str, ...], what: str) -> dict[str, float]:
    missing = [n for n in names if n not in params]
    if missing:
        raise DataError(f"{what}: missing {missing}; expected keys {list(names)}")
    out = {n: float(params[n]) for n in names}
    bad = [n for n, v in out.items() if not np.isfinite(v) or v <= 0]
    if bad:
        raise DataError(f"{what}: parameters must be positive and finite, got {out}")
    return out


def _split(n: int, shares: np.ndarray) -> np.ndarray:
    """Largest-remainder split of ``n`` into integer parts proportional to ``shares``."""
    exact = n * shares / shares.sum()
    base = np.floor(exact).astype(int)
    base[np.argsort(exact - base)[::-1][: n - base.sum()]] += 1
    return base


def simulate(
    n_customers: int,
    *,
    params: Mapping[str, float] | None = None,
    spend_params: Mapping[str, float] | None = None,
    start: Any = "2024-01-01",
    end: Any = "2025-12-31",
    seed: int,
    channels: Mapping[str, Mapping[str, Any]] | None = None,
    acquisition_end: Any = None,
    time_unit: str = "W",
    model: str = "BetaGeo",
    covariates: pd.DataFrame | None = None,
    coefficients: Mapping[str, float] | None = None,
) -> Simulation:
    """Draw a transaction log from BG/NBD (or MBG/NBD, Pareto/NBD) purchasing and Gamma-Gamma spend.

    Each customer is acquired (makes a first purchase) at a uniform time in
    ``[start, acquisition_end)``, purchases at Poisson rate
    ``lambda ~ Gamma(r, alpha)`` per ``time_unit``, drops out after each repeat
    purchase with probability ``p ~ Beta(a, b)`` (Fader, Hardie & Lee 2005,
    assumptions i-v) and spends ``z ~ Gamma(p_s, nu)`` per purchase with
    ``nu ~ Gamma(q, v)`` (Fader & Hardie 2013). Simulation stops at the
    timestamp ``end`` (exclusive: a bare date means midnight at its start, so
    the day ``end`` itself has no purchases; summarise with
    ``observation_end`` the day before, or pass ``end`` one day later).

    Parameters
    ----------
    n_customers : int
        Number of customers.
    params, spend_params : mapping
        BG/NBD ``r, alpha, a, b`` (rates per ``time_unit``) and Gamma-Gamma
        ``p, q, v``. Default to the CDNOW estimates.
    start, end : date-like
        Calendar window of the simulated business.
    seed : int
        Seed of :func:`numpy.random.default_rng`; the same seed gives the same data.
    channels : mapping, optional
        ``{name: {"share": w, "params": {...}, "spend_params": {...}}}``; each
        channel may override the parameters and receives ``share`` of the
        customers. Without it every customer is in channel ``"all"``. A
        channel may also give ``"rate_multiplier": m`` and ``"assigned_at":
        date`` (an experiment arm): from that date on its customers'
        purchase rate is ``m lambda`` (for customers acquired later, from
        their first purchase on), simulated exactly by the time change of
        :mod:`clv.kernels.timechange`; ``customers`` then has a column
        ``assigned_at``.
    acquisition_end : date-like, optional
        Last acquisition time; defaults to the middle of the window.
    time_unit : {"W", "D", "M"}
        Unit of the rate parameters.
    model : {"BetaGeo", "ModifiedBetaGeo", "ParetoNBD"}
        The purchase and dropout process. MBG/NBD customers may also drop out
        right after the first purchase; Pareto/NBD customers live an
        ``Exponential(mu)`` lifetime with ``mu ~ Gamma(s, beta)`` (``params``
        then holds ``r, alpha, s, beta``, default the CDNOW estimates).
    covariates : pandas.DataFrame, optional
        One row per customer (``n_customers`` rows) of numeric covariates; they
        are copied to ``customers``.
    coefficients : mapping, optional
        Effects named as the fitted models name them: ``purchase:<col>``
        (``alpha_i = alpha exp(-g . z)``), ``dropout:<col>`` (BG/MBG:
        ``a_i, b_i = a, b exp(g . z)``; Pareto/NBD: ``beta_i = beta exp(-g . z)``)
        and ``spend:<col>`` (``v_i = v exp(g . z)``), as in Fader & Hardie (2007).

    Returns
    -------
    Simulation

    Examples
    --------
    >>> import clv
    >>> sim = clv.simulate(100, seed=1, start="2024-01-01", end="2024-12-31")
    >>> sorted(sim.transactions.columns)
    ['amount', 'customer_id', 'date']
    >>> int(sim.customers.shape[0])
    100

    With a covariate that doubles the purchase rate:

    >>> import numpy as np, pandas as pd
    >>> z = pd.DataFrame({"vip": np.arange(1000) % 2})
    >>> sim = clv.simulate(1000, seed=1, covariates=z, coefficients={"purchase:vip": np.log(2)})
    >>> rates = sim.customers.groupby("vip")["purchase_rate"].mean()
    >>> bool(rates[1] > 1.5 * rates[0])
    True
    """
    if n_customers <= 0:
        raise DataError(f"n_customers must be positive, got {n_customers}")
    rng = np.random.default_rng(seed)
    unit_ns = time_unit_days(time_unit) * 86_400e9
    t0, t1 = pd.Timestamp(start), pd.Timestamp(end)
    t_acq = pd.Timestamp(acquisition_end) if acquisition_end is not None else t0 + (t1 - t0) / 2
    if not t0 < t_acq <= t1:
        raise DataError(f"need start < acquisition_end <= end, got {t0}, {t_acq}, {t1}")
    if model not in _MODELS:
        raise DataError(f"model must be one of {sorted(_MODELS)}, got {model!r}")
    names_p = _MODELS[model]
    base_params = _check_params(params or (_DEFAULT_PARETO if model == "ParetoNBD" else _DEFAULT_PARAMS), names_p, "params")
    base_spend = _check_params(spend_params or _DEFAULT_SPEND, ("p", "q", "v"), "spend_params")
    specs = dict(channels) if channels else {"all": {"share": 1.0}}
    names = list(specs)
    sizes = _split(n_customers, np.array([float(specs[c].get("share", 1.0)) for c in names]))

    channel = np.repeat(np.arange(len(names)), sizes)
    par = {k: np.empty(n_customers) for k in (*names_p, "p", "q", "v")}
    for k, name in enumerate(names):
        sel = channel == k
        cp = _check_params({**base_params, **specs[name].get("params", {})}, names_p, f"channel {name}")
        cs = _check_params({**base_spend, **specs[name].get("spend_params", {})}, ("p", "q", "v"), f"channel {name}")
        for key, value in {**cp, **cs}.items():
            par[key][sel] = value
    _apply_covariates(par, model, covariates, coefficients, n_customers)
    assigned = [pd.Timestamp(specs[c]["assigned_at"]) if "assigned_at" in specs[c] else pd.NaT for c in names]

    lam = rng.gamma(par["r"], 1.0 / par["alpha"])
    if model == "ParetoNBD":
        drop = np.zeros(n_customers)
        mu = rng.gamma(par["s"], 1.0 / par["beta"])
        lifetime = rng.exponential(1.0 / mu)
    else:
        drop = rng.beta(par["a"], par["b"])
    nu = rng.gamma(par["q"], 1.0 / par["v"])
    p_s = par["p"]
    acq_offset = rng.uniform(0.0, (t_acq - t0).value / unit_ns, n_customers)
    horizon = (t1 - t0).value / unit_ns - acq_offset  # T of each customer in time units
    tau, theta = _arm_clock(specs, names, channel, assigned, t0, acq_offset, unit_ns)

    # Repeat purchases, one vectorised round at a time over the customers still buying.
    times: list[np.ndarray] = []
    owners: list[np.ndarray] = []
    clock = np.zeros(n_customers)
    died = np.full(n_customers, np.nan)
    buying_until = horizon
    if model == "ParetoNBD":
        died = np.where(lifetime < horizon, lifetime, np.nan)
        buying_until = np.minimum(horizon, lifetime)
    elif model == "ModifiedBetaGeo":
        died = np.where(rng.random(n_customers) < drop, 0.0, np.nan)  # may drop out right after the first purchase
    buying_until = operational_time(buying_until, tau, theta)  # the loop runs in operational time
    active = np.flatnonzero((lam > 0) & (np.isnan(died) | (model == "ParetoNBD")))
    while active.size:
        clock[active] += rng.exponential(1.0 / lam[active])
        inside = clock[active] <= buying_until[active]
        buyers = active[inside]
        times.append(clock[buyers].copy())
        owners.append(buyers)
        dead_now = rng.random(buyers.size) < drop[buyers]
        died[buyers[dead_now]] = clock[buyers[dead_now]]
        active = buyers[~dead_now]

    rep_owner = np.concatenate(owners) if owners else np.empty(0, int)
    rep_time = np.concatenate(times) if times else np.empty(0)
    rep_time = calendar_time(rep_time, tau[rep_owner], theta[rep_owner])
    if model != "ParetoNBD":
        died = calendar_time(died, tau, theta)
    owner = np.concatenate([np.arange(n_customers), rep_owner])
    when = np.concatenate([np.zeros(n_customers), rep_time])
    amount = np.round(rng.gamma(p_s[owner], 1.0 / nu[owner]), 2)
    order = np.lexsort((when, owner))
    owner, when, amount = owner[order], when[order], amount[order]

    ids = np.arange(1, n_customers + 1)
    stamps = t0 + pd.to_timedelta(np.round((acq_offset[owner] + when) * unit_ns / 1e9), unit="s")
    transactions = pd.DataFrame({"customer_id": ids[owner], "date": stamps.astype("datetime64[ns]"), "amount": amount})

    freq = np.bincount(rep_owner, minlength=n_customers).astype(float)
    last = np.zeros(n_customers)
    if rep_owner.size:
        np.maximum.at(last, rep_owner, rep_time)
    acquired = t0 + pd.to_timedelta(np.round(acq_offset * unit_ns / 1e9), unit="s")
    died_at = pd.Series(t0 + pd.to_timedelta(np.round((acq_offset + np.nan_to_num(died)) * unit_ns / 1e9), unit="s"))
    died_at[np.isnan(died)] = pd.NaT
    customers = pd.DataFrame(
        {
            "channel": np.array(names, dtype=object)[channel],
            "acquired_at": acquired.astype("datetime64[ns]"),
            "purchase_rate": lam,
            **({"dropout_rate": mu} if model == "ParetoNBD" else {"dropout_probability": drop}),
            "mean_spend": p_s / nu,
            "died_at": died_at.to_numpy(),
            "alive_at_end": np.isnan(died),
            "frequency": freq,
            "recency": last,
            "T": horizon,
        },
        index=pd.Index(ids, name="customer_id"),
    )
    if any(pd.notna(d) for d in assigned):
        customers["assigned_at"] = np.array(assigned, dtype="datetime64[ns]")[channel]
    if covariates is not None:
        customers = customers.join(covariates.set_axis(customers.index))
    return Simulation(transactions=transactions, customers=customers)


def _arm_clock(specs: Mapping[str, Mapping[str, Any]], names: list[str], channel: np.ndarray, assigned: list[Any], t0: pd.Timestamp,
               acq_offset: np.ndarray, unit_ns: float) -> tuple[np.ndarray, np.ndarray]:
    """Per customer: assignment time from the first purchase (``tau``, time units) and the rate multiplier after it."""
    mult = np.array([float(specs[c].get("rate_multiplier", 1.0)) for c in names])
    if not (np.isfinite(mult).all() and (mult > 0).all()):
        raise DataError(f"rate_multiplier must be positive and finite, got {dict(zip(names, mult))}")
    at = np.array([(d - t0).value / unit_ns if pd.notna(d) else 0.0 for d in assigned])
    return at[channel] - acq_offset, mult[channel]


def _apply_covariates(par: dict[str, np.ndarray], model: str, covariates: pd.DataFrame | None,
                      coefficients: Mapping[str, float] | None, n: int) -> None:
    """Scale the per-customer parameters by the covariate effects (Fader & Hardie 2007), in place."""
    if not coefficients:
        return
    if covariates is None or len(covariates) != n:
        raise DataError(f"coefficients need a covariates frame with one row per customer ({n} rows)")
    targets = {"purchase": (("alpha", -1.0),), "spend": (("v", 1.0),),
               "dropout": (("beta", -1.0),) if model == "ParetoNBD" else (("a", 1.0), ("b", 1.0))}
    for name, g in coefficients.items():
        group, _, col = name.partition(":")
        if group not in targets or col not in covariates.columns:
            raise DataError(f"coefficient '{name}': expected 'purchase:<col>', 'dropout:<col>' or 'spend:<col>' "
                            f"with <col> in {list(covariates.columns)}")
        z = pd.to_numeric(covariates[col], errors="coerce").to_numpy(dtype=float)
        if not np.isfinite(z).all():
            raise DataError(f"column '{col}': covariates for the simulator must be finite numbers")
        for param, sign in targets[group]:
            par[param] = par[param] * np.exp(sign * float(g) * z)

"""The simulation behind :func:`clv.predictive`: distinct histories, blocks, parameter sets, totals.

Customers are collapsed to *purchase tuples*: equal ``(x, t_x, T)``, spend
history ``x_s`` (``x`` with a usable spend, else 0), group and parameter
profile (covariates, Bayesian group). Every customer of a purchase tuple has
the same law of future purchases and of the spend ratio ``R``
(:func:`clv.kernels.gammagamma.simulate_spend_ratio`): a customer's revenue is
``(v + x_s m) R``. So one draw per tuple and simulation serves

* the per-tuple purchase quantiles;
* the revenue quantiles of every distinct ``m`` within the tuple
  (``(v_s + x_s m) R_s`` over the simulations ``s``);
* the group totals: the ``w`` customers of a tuple enter the total of
  simulation ``s`` as ``sum_i c_i E_s + sqrt(sum_i c_i^2) (D_s - E_s)``, where
  ``D_s`` is the tuple's draw, ``E_s`` its exact conditional mean under the
  parameters of simulation ``s`` and ``c_i = 1`` for purchases, ``v_s + x_s m_i``
  for revenue. This keeps the conditional mean and covariance (over the
  checkpoints) of the sum of ``w`` independent customers exact; their sum is
  close to normal by the central limit theorem.

Tuples are processed in blocks, each with its own generator seeded by
``(seed, block)``, so the draws do not depend on how many threads run the
blocks (NumPy's generators release the GIL while drawing).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from clv.kernels import gammagamma

__all__ = ["Tuples", "run_blocks"]

CHUNK = 4_000_000  # tuple x simulation x checkpoint cells drawn at once per block


@dataclass
class Tuples:
    """Purchase tuples (arrays of length P) and the distinct spends within them (arrays of length F, sorted by tuple)."""

    x: np.ndarray
    t_x: np.ndarray
    T: np.ndarray
    sx: np.ndarray  # spend history x (0 without a usable spend)
    group: np.ndarray  # group code
    w: np.ndarray  # customers
    m_sum: np.ndarray  # sum of the customers' mean spends (0 without a usable spend)
    m_sq: np.ndarray  # sum of their squares
    f_tuple: np.ndarray  # purchase tuple of each distinct spend
    f_m: np.ndarray  # its mean spend
    t_profile: np.ndarray  # transaction parameter profile (covariates, Bayesian group)
    s_profile: np.ndarray  # spend parameter profile


@dataclass
class Setup:
    """What every block needs: the kernel, parameter sets, simulation plan and output settings."""

    kernel: Any
    params: Callable[[int, slice], list[Any]]  # transaction parameters of set j for the tuples of a block (scalars or arrays)
    spend: Callable[[int, slice], list[Any]] | None  # Gamma-Gamma (p, q, v) of spend set j for the tuples of a block
    sim_set: np.ndarray  # transaction parameter set of each simulation
    spend_set: np.ndarray  # spend parameter set of each simulation
    edges: np.ndarray  # checkpoints; per-customer figures use the last
    n_groups: int
    level: float
    rule: str
    totals_only: bool = False  # only the group totals and their exact conditional means (no per-history figures)


def _interval(draws: np.ndarray, level: float, rule: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per column of ``draws`` (simulations x columns): lower, upper and the predictive mass of ``[lower, upper]``.

    ``central``: the ``(1-level)/2`` and ``(1+level)/2`` quantiles (inverse
    CDF). For counts the mass is at least ``level``. ``closest``: the central
    interval, or the central interval without its lower or without its upper
    end point, whichever mass is closest to ``level`` (ties keep the wider).
    """
    tail = (1 - level) / 2
    lower, upper = np.quantile(draws, [tail, 1 - tail], axis=0, method="inverted_cdf")
    mass = np.mean((draws >= lower) & (draws <= upper), axis=0)
    if rule != "closest":
        return lower, upper, mass
    at_lower, at_upper = np.mean(draws == lower, axis=0), np.mean(draws == upper, axis=0)
    best = np.abs(mass - level)
    for end_mass, move in ((at_upper, "upper"), (at_lower, "lower")):
        shrunk = mass - end_mass
        better = (upper > lower) & (np.abs(shrunk - level) < best) & (end_mass > 0)
        if move == "upper":
            below = np.where(draws < upper, draws, -np.inf).max(axis=0)  # largest draw under the upper end
            upper = np.where(better, below, upper)
        else:
            above = np.where(draws > lower, draws, np.inf).min(axis=0)
            lower = np.where(better, above, lower)
        mass = np.where(better, shrunk, mass)
        best = np.where(better, np.abs(shrunk - level), best)
    return lower, upper, mass


def _draw(setup: Setup, tuples: Tuples, rows: slice, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Draws (S, B, K) and exact conditional means (S, B, K) of the block's purchases, and spend ratios if wanted."""
    S, K = len(setup.sim_set), len(setup.edges)
    B = rows.stop - rows.start
    x, t_x, T, sx = tuples.x[rows], tuples.t_x[rows], tuples.T[rows], tuples.sx[rows]
    out = {"n": np.empty((S, B, K)), "n_mean": np.empty((S, B, K))}
    if setup.spend is not None:
        out["r"], out["r_mean"], out["v"] = np.empty((S, B, K)), np.empty((S, B, K)), np.empty((S, B))
    plan = np.stack([setup.sim_set, setup.spend_set], axis=1)
    for j, js in np.unique(plan, axis=0):
        sims = np.flatnonzero((setup.sim_set == j) & (setup.spend_set == js))
        theta = setup.params(int(j), rows)
        n = setup.kernel.simulate_paths(rng, setup.edges, *theta, x, t_x, T, size=len(sims))
        mean = np.stack([setup.kernel.expected_purchases(e, *theta, x, t_x, T) for e in setup.edges], axis=-1)
        out["n"][sims], out["n_mean"][sims] = n, mean
        if setup.spend is not None:
            p, q, v = (np.broadcast_to(value, (B,)) for value in setup.spend(int(js), rows))
            out["r"][sims] = gammagamma.simulate_spend_ratio(rng, p[None, :], q[None, :], sx, n)
            out["r_mean"][sims] = p[:, None] * mean / (p * sx + q - 1.0)[:, None]
            out["v"][sims] = v
    return out


def _block(setup: Setup, tuples: Tuples, rows: slice, seed: int, block: int) -> dict[str, Any]:
    """Per-tuple statistics, per-spend revenue statistics and group totals of one block of purchase tuples.

    With ``setup.totals_only`` the per-tuple and per-spend statistics are left
    out and the group totals of the exact conditional means
    (``purchases_mean_total``, ``revenue_mean_total``) are added; the draws,
    hence the totals, are the same.
    """
    d = _draw(setup, tuples, rows, np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(block,))))
    onehot = np.zeros((rows.stop - rows.start, setup.n_groups))
    onehot[np.arange(onehot.shape[0]), tuples.group[rows]] = 1.0
    w = tuples.w[rows]
    out: dict[str, Any] = {
        "purchases_total": np.einsum("sbk,bg->sgk", w[:, None] * d["n_mean"] + np.sqrt(w)[:, None] * (d["n"] - d["n_mean"]), onehot),
    }
    if setup.totals_only:
        out["purchases_mean_total"] = np.einsum("sbk,bg->sgk", w[:, None] * d["n_mean"], onehot)
    else:
        last = d["n"][:, :, -1]
        lower, upper, mass = _interval(last, setup.level, setup.rule)
        out["purchases"] = {"mean": d["n_mean"][:, :, -1].mean(axis=0), "lower": lower, "upper": upper, "mass": mass}
        out["n_draws"] = last
    if setup.spend is not None:
        v = d["v"]  # (S, B)
        sx, m_sum, m_sq = tuples.sx[rows], tuples.m_sum[rows], tuples.m_sq[rows]
        scale = (w * v + sx * m_sum)[:, :, None]
        spread = np.sqrt(w * v**2 + 2 * v * sx * m_sum + sx**2 * m_sq)[:, :, None]
        out["revenue_total"] = np.einsum("sbk,bg->sgk", scale * d["r_mean"] + spread * (d["r"] - d["r_mean"]), onehot)
        if setup.totals_only:
            out["revenue_mean_total"] = np.einsum("sbk,bg->sgk", scale * d["r_mean"], onehot)
        else:
            out["revenue"] = _spend_statistics(setup, tuples, rows, d, v)
    return out


def _spend_statistics(setup: Setup, tuples: Tuples, rows: slice, d: dict[str, np.ndarray], v: np.ndarray) -> dict[str, np.ndarray]:
    """Revenue mean, interval and mass of every distinct spend of the block's tuples: ``(v_s + x_s m) R_s`` over the simulations."""
    first, stop = np.searchsorted(tuples.f_tuple, [rows.start, rows.stop])
    parts: dict[str, list[np.ndarray]] = {"mean": [], "lower": [], "upper": [], "mass": []}
    step = max(1, rows.stop - rows.start)
    for start in range(int(first), int(stop), step):
        f = slice(start, min(start + step, int(stop)))
        local = tuples.f_tuple[f] - rows.start
        cost = v[:, local] + (tuples.sx[tuples.f_tuple[f]] * tuples.f_m[f])[None, :]  # (S, spends)
        lower, upper, mass = _interval(cost * d["r"][:, local, -1], setup.level, "central")
        for key, value in zip(parts, ((cost * d["r_mean"][:, local, -1]).mean(axis=0), lower, upper, mass)):
            parts[key].append(value)
    return {key: np.concatenate(value) if value else np.empty(0) for key, value in parts.items()}


def run_blocks(setup: Setup, tuples: Tuples, seed: int, n_jobs: int | None, consume: Callable[[slice, dict[str, Any]], None]) -> None:
    """Simulate every block of purchase tuples (on ``n_jobs`` threads) and hand each result, in block order, to ``consume``."""
    size = max(1, CHUNK // (len(setup.sim_set) * len(setup.edges)))
    starts = range(0, len(tuples.w), size)
    blocks = [slice(s, min(s + size, len(tuples.w))) for s in starts]
    jobs = min(len(blocks), n_jobs if n_jobs is not None else min(2, os.cpu_count() or 1))
    if jobs <= 1:
        for b, rows in enumerate(blocks):
            consume(rows, _block(setup, tuples, rows, seed, b))
        return
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        # at most ``jobs`` blocks in flight beyond the one being consumed, so memory stays bounded
        pending: list[Any] = []
        for b, rows in enumerate(blocks):
            pending.append((rows, pool.submit(_block, setup, tuples, rows, seed, b)))
            if len(pending) > jobs:
                done_rows, future = pending.pop(0)
                consume(done_rows, future.result())
        for done_rows, future in pending:
            consume(done_rows, future.result())

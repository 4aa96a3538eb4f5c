"""A/B rows from one pooled fit, compared between arms by a permutation test.

In a randomised experiment the customers are exchangeable between the arms
when the campaign has no effect. A quantity computed for each customer from
ONE model fitted on all customers of the arms together, without their arms
(P(alive), the posterior mean dropout, the conditional expected spend), is
then a function of the customers' data only, and the arms' labels are a
random split of it: the permutation distribution of any statistic of
``(values, labels)`` is its exact null distribution (Fisher 1935; Lehmann &
Romano 2005, ch. 15). The rows' statistic is Welch's ``t`` of the arm means
(studentised, so that it is also asymptotically valid when the arms differ in
spread but not in mean); its p-value is the share of ``n_permutations``
random relabellings with ``|t|`` at least as large, ``(1 + count) / (1 + n)``.
The omnibus test of the within-customer design takes the largest ``|t|``
over the rows' quantities, with its own permutation distribution (a
max-``t`` test, Westfall & Young 1993), so it needs no correction for the
several quantities.

This replaces tests built on per-arm fits where those are not calibrated:
the P(alive) row of the new-customer design (a Wald test whose parameter and
customer-sampling noises are correlated) and the dropout, P(alive), spend and
omnibus rows of the within-customer design (per-arm fits after assignment
treat every existing customer as active at assignment).

The interval of the difference is Welch's normal interval from the
per-customer values: it contains the noise of which customers fell in which
arm, and not the uncertainty of the pooled model's parameters, which are the
same for both arms (their effect on the difference is of second order).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from clv.kernels import timechange

__all__ = ["permutation_row", "permutation_rows", "permutation_test", "pooled_values"]


def _sums(weights: np.ndarray, centred: np.ndarray, present: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return weights @ centred, weights @ centred ** 2, weights @ present


def _welch(s1: np.ndarray, q1: np.ndarray, n1: np.ndarray, total: tuple[np.ndarray, ...]) -> tuple[np.ndarray, ...]:
    """Treatment and control means and the variances of those means, from the treatment's sums and the totals."""
    S, Q, N = total
    s0, q0, n0 = S - s1, Q - q1, N - n1
    with np.errstate(divide="ignore", invalid="ignore"):
        m1, m0 = s1 / n1, s0 / n0
        a1 = np.maximum(q1 - n1 * m1 ** 2, 0.0) / (n1 - 1) / n1
        a0 = np.maximum(q0 - n0 * m0 ** 2, 0.0) / (n0 - 1) / n0
    ok = (n1 > 1) & (n0 > 1)
    return m1, m0, np.where(ok, a1, np.nan), np.where(ok, a0, np.nan)


def permutation_test(values: np.ndarray, treated: np.ndarray, *, n_permutations: int = 2000, seed: int = 0,
                     chunk: int = 250) -> dict[str, Any]:
    """Welch ``t`` of the arm means of per-customer values, with permutation p-values per column and for the largest ``|t|``.

    Parameters
    ----------
    values : numpy.ndarray
        ``(n_customers, n_quantities)``; NaN where a quantity is not defined
        for a customer (e.g. spend of a customer without a purchase): that
        customer is left out of that column only.
    treated : numpy.ndarray
        Boolean per customer: in the treatment arm (else control).
    n_permutations : int
        Random relabellings (the number of treated customers kept).
    seed : int
        Seed of the relabellings.
    chunk : int
        Relabellings evaluated at once (memory ``chunk x n_customers``).

    Returns
    -------
    dict
        ``control, treatment, difference, se`` (Welch's standard error of the
        difference), ``se_control, se_treatment`` (of each mean), ``t, p_value, p_value_welch``
        (arrays, one per column; ``p_value`` by permutation, ``p_value_welch``
        from the normal law of ``t``), ``max_t`` and ``p_value_max`` (the
        largest ``|t|`` over the columns and its permutation p-value),
        ``n_permutations``.

    Examples
    --------
    >>> import numpy as np
    >>> v = np.r_[np.zeros(20), np.ones(20)][:, None] + np.random.default_rng(0).normal(0, 0.1, (40, 1))
    >>> res = permutation_test(v, np.r_[np.zeros(20, bool), np.ones(20, bool)], n_permutations=999, seed=1)
    >>> float(res["p_value"][0])  # no relabelling beats the observed split: 1 / (1 + 999)
    0.001
    """
    values = np.asarray(values, dtype=float)
    values = values[:, None] if values.ndim == 1 else values
    present = np.isfinite(values).astype(float)
    centre = np.nanmean(np.where(present > 0, values, np.nan), axis=0) if present.any() else np.zeros(values.shape[1])
    centred = np.where(present > 0, values - np.nan_to_num(centre), 0.0)
    labels = np.asarray(treated, dtype=float)
    total = (centred.sum(axis=0), (centred ** 2).sum(axis=0), present.sum(axis=0))
    m1, m0, a1, a0 = _welch(*_sums(labels, centred, present), total)
    se = np.sqrt(a1 + a0)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = (m1 - m0) / se
    finite = np.isfinite(t)
    observed_max = float(np.max(np.abs(t[finite]))) if finite.any() else np.nan
    rng = np.random.default_rng([seed, 17])
    beats, beats_max, done = np.zeros(len(t)), 0, 0
    while done < n_permutations:
        k = min(chunk, n_permutations - done)
        relabelled = rng.permuted(np.tile(labels, (k, 1)), axis=1)
        p1, p0, b1, b0 = _welch(*_sums(relabelled, centred, present), total)
        with np.errstate(divide="ignore", invalid="ignore"):
            pt = np.abs((p1 - p0) / np.sqrt(b1 + b0))
        beats += (pt >= np.abs(t) * (1 - 1e-12)).sum(axis=0)
        if finite.any():
            beats_max += int((np.nanmax(pt[:, finite], axis=1) >= observed_max * (1 - 1e-12)).sum())
        done += k
    return {
        "control": m0 + np.nan_to_num(centre), "treatment": m1 + np.nan_to_num(centre), "difference": m1 - m0, "se": se,
        "se_control": np.sqrt(a0), "se_treatment": np.sqrt(a1), "t": t,
        "p_value": np.where(finite, (1.0 + beats) / (1.0 + n_permutations), np.nan),
        "p_value_welch": np.where(finite, 2 * stats.norm.sf(np.abs(t)), np.nan),
        "max_t": observed_max, "p_value_max": (1.0 + beats_max) / (1.0 + n_permutations) if finite.any() else np.nan,
        "n_permutations": n_permutations,
    }


def permutation_row(res: dict[str, Any], column: int, better: str, interval: float, test: str) -> dict[str, Any]:
    """One row of :attr:`clv.ABTest.table` from :func:`permutation_test`.

    The interval of the difference is Welch's normal interval; that of the
    ratio is the delta-method interval of its logarithm
    (``var ln(t/c) = se_t^2 / t^2 + se_c^2 / c^2``); ``p_treatment_better``
    is the normal probability that the difference has the better sign (a
    flat-prior approximation, as the draws' share is for the other rows);
    ``p_value_wald`` holds Welch's normal p-value.

    Parameters
    ----------
    res : dict
        Output of :func:`permutation_test`.
    column : int
    better : {"higher", "lower"}
    interval : float
    test : str
        The row's ``test`` text.

    Returns
    -------
    dict
        A row as :func:`clv.operations.ab_within.compare_draws` returns it.

    Examples
    --------
    >>> import numpy as np
    >>> res = {"control": np.array([1.0]), "treatment": np.array([1.2]), "difference": np.array([0.2]), "se": np.array([0.1]),
    ...        "se_control": np.array([0.06]), "se_treatment": np.array([0.08]), "p_value": np.array([0.04]),
    ...        "p_value_welch": np.array([0.0455])}
    >>> row = permutation_row(res, 0, "higher", 0.9, "permutation")
    >>> round(row["difference_lower"], 4), round(row["p_treatment_better"], 3)
    (0.0355, 0.977)
    """
    z = stats.norm.ppf((1 + interval) / 2)
    c, t, d, se, se_c, se_t = (float(res[k][column]) for k in ("control", "treatment", "difference", "se", "se_control", "se_treatment"))
    ratio = t / c if c != 0 else np.nan
    log_se = np.hypot(se_c / c, se_t / t) if c > 0 and t > 0 else np.nan
    sign = 1.0 if better == "higher" else -1.0
    return {
        "control": c, "treatment": t, "difference": d, "difference_lower": float(d - z * se), "difference_upper": float(d + z * se),
        "ratio": ratio, "ratio_lower": float(ratio * np.exp(-z * log_se)), "ratio_upper": float(ratio * np.exp(z * log_se)),
        "p_value": float(res["p_value"][column]), "test": test, "p_value_wald": float(res["p_value_welch"][column]),
        "p_treatment_better": float(stats.norm.cdf(sign * d / se)) if se > 0 else np.nan, "better": better,
    }


def pooled_values(rfm: pd.DataFrame, transaction_model: Any, spend_model: Any, within: dict[str, Any] | None) -> pd.DataFrame:
    """Per-customer quantities from fits on all arms pooled (label-free; module notes).

    Parameters
    ----------
    rfm : pandas.DataFrame
        The experiment frame (:func:`clv.operations.experiment_rfm`).
    transaction_model, spend_model : fitted models
        The post-assignment fits on all arms pooled.
    within : dict or None
        Under the within-customer design, the pooled within-customer model
        (``r, alpha, a, b, theta, k``: one multiplier for every arm; see
        :func:`clv.operations.ab_within.fit_pooled_within`).

    Returns
    -------
    pandas.DataFrame
        Index as ``rfm``. Without ``within``: ``p_alive`` (post-assignment
        model). With it: ``purchases`` (each customer's score in the log
        post-assignment multiplier, :func:`clv.kernels.timechange.log_theta_score`:
        purchases after the assignment against what their own past predicts;
        its arm difference is Rao's score test of the multipliers), ``dropout`` (posterior mean of the dropout probability
        given the whole history), ``p_alive`` (at observation end, given the
        whole history), all three NaN for customers without a purchase; and
        ``spend`` (conditional expected spend per purchase, Gamma-Gamma on the
        purchases after assignment; NaN for customers without one).

    Examples
    --------
    >>> import clv
    >>> rfm = clv.rfm_summary(clv.datasets.load_cdnow(), observation_end="1997-09-30")
    >>> bg = clv.BetaGeo.from_params({"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
    >>> round(float(pooled_values(rfm, bg, None, None)["p_alive"].mean()), 3)
    0.813
    """
    out = pd.DataFrame(index=rfm.index)
    if within is None:
        out["p_alive"] = transaction_model.probability_alive(rfm).to_numpy(dtype=float)
        return out
    x = rfm["hist_frequency"].to_numpy(float)
    cols = (x, rfm["hist_recency"].to_numpy(float), rfm["hist_T"].to_numpy(float), rfm["hist_tau"].to_numpy(float))
    ok = np.isfinite(cols[2])
    p = (within["r"], within["alpha"], within["a"], within["b"], within["theta"])
    score = np.full(len(rfm), np.nan)
    score[ok] = timechange.log_theta_score(*p, *(c[ok] for c in cols), x[ok] - rfm["hist_frequency_pre"].to_numpy(float)[ok], k=within["k"])
    out["purchases"] = score
    for name, kernel in (("dropout", timechange.posterior_mean_dropout), ("p_alive", timechange.probability_alive)):
        col = np.full(len(rfm), np.nan)
        col[ok] = kernel(*p, *(c[ok] for c in cols), k=within["k"])
        out[name] = col
    buyers = rfm["frequency"].to_numpy() > 0
    spend = np.full(len(rfm), np.nan)
    if buyers.any():
        spend[buyers] = spend_model.expected_spend(rfm.loc[buyers]).to_numpy(dtype=float)
    out["spend"] = spend
    return out


_POOLED_METRICS = {"dropout": "posterior mean dropout", "p_alive": "P(alive)", "spend": "conditional expected spend"}
_OMNIBUS_NAMES = {"purchases": "purchase-rate score (each customer's own past as baseline)", **_POOLED_METRICS}


def permutation_rows(rfm: pd.DataFrame, arm: str, names: list[Any], values: pd.DataFrame, better: dict[str, str], *, interval: float,
                     n_permutations: int, seed: int) -> tuple[dict[Any, dict[str, dict[str, Any]]], dict[str, dict[str, Any]]]:
    """Rows of :attr:`clv.ABTest.table` by permutation, per treatment arm, and the omnibus max-``|t|`` tests.

    Parameters
    ----------
    rfm : pandas.DataFrame
    arm : str
    names : list
        The arms, control first.
    values : pandas.DataFrame
        :func:`pooled_values`. Its columns that are metrics (``dropout,
        p_alive, spend``) become rows; with more than one column, every
        column enters the omnibus test.
    better : dict
        ``{metric: "higher" | "lower"}``.
    interval : float
    n_permutations, seed : int

    Returns
    -------
    (dict, dict)
        ``{treatment arm: {metric: row}}`` and ``{"omnibus (permutation): <arm>": test row}`` (empty with one column).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rfm = pd.DataFrame({"arm": ["a", "b"] * 50})
    >>> values = pd.DataFrame({"p_alive": np.random.default_rng(0).uniform(size=100)})
    >>> rows, omnibus = permutation_rows(rfm, "arm", ["a", "b"], values, {"p_alive": "higher"}, interval=0.9, n_permutations=99, seed=1)
    >>> rows["b"]["p_alive"]["test"], omnibus
    ('permutation of Welch t, 99 relabellings (per-customer P(alive) under one fit of all arms pooled)', {})
    """
    labels = rfm[arm].to_numpy()
    metrics = [c for c in values.columns if c in _POOLED_METRICS]
    rows, omnibus = {}, {}
    for j, name in enumerate(names[1:], start=1):
        mine = (labels == names[0]) | (labels == name)
        res = permutation_test(values.to_numpy(float)[mine], labels[mine] == name, n_permutations=n_permutations, seed=seed + j)
        rows[name] = {m: permutation_row(res, list(values.columns).index(m), better[m], interval,
                                         f"permutation of Welch t, {n_permutations:,} relabellings (per-customer {_POOLED_METRICS[m]} "
                                         "under one fit of all arms pooled)") for m in metrics}
        if values.shape[1] > 1:
            omnibus[f"omnibus (permutation): {name}"] = {
                "statistic": res["max_t"], "df": values.shape[1], "p_value": res["p_value_max"], "loglik_pooled": np.nan, "loglik_arms": np.nan,
                "hypothesis": (f"no difference in any of: {', '.join(_OMNIBUS_NAMES.get(c, c) for c in values.columns)} (per customer, "
                               "one fit of all arms pooled): largest "
                               f"|Welch t| against {n_permutations:,} random relabellings; {name} against control"),
            }
    return rows, omnibus

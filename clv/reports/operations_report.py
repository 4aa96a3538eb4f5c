"""Files of the operations analyses: the A/B test report and the backtest tables.

The A/B report is an HTML page, a Markdown summary, CSV tables and a JSON
summary in the channel report's style. It formats what :func:`clv.ab_test`
and :func:`clv.operations.arm_curves` returned; nothing here fits or
evaluates a model. Every user string (arm names, file names) is escaped.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from clv.operations.ab_test import METRICS, REFERENCE_ONLY, ABTest
from clv.output import atomic_directory, jsonable
from clv.reports import charts
from clv.reports.html import esc, figure_png, fmt_int, fmt_number, fmt_pct, fmt_text, img_tag, page, table_html
from clv.reports.markdown import md_escape, md_table
from clv.reports.writer import check_destination

__all__ = ["AB_MARKER", "BACKTEST_MARKER", "ab_tables", "backtest_tables", "write_ab_report", "write_backtest"]

AB_MARKER = "abtest.json"  # a directory holding this file is a clv A/B report and may be replaced
BACKTEST_MARKER = "backtest.json"
_LABELS = {"purchase_rate": "purchase rate", "dropout": "dropout", "p_alive": "P(alive)", "spend": "spend per purchase",
           "ltv": "expected LTV per customer"}


def _fmt_value(metric: str) -> Any:
    if metric == "p_alive":
        return fmt_pct
    digits = 2 if metric in ("spend", "ltv") else 4
    return lambda v: fmt_number(v, digits)


def ab_tables(result: ABTest) -> dict[str, pd.DataFrame]:
    """The CSV tables of the report: ``ab_metrics``, ``ab_tests``, ``ab_arms``.

    Parameters
    ----------
    result : ABTest

    Returns
    -------
    dict of pandas.DataFrame

    Examples
    --------
    >>> import clv
    >>> sim = clv.simulate(2000, seed=5, start="2024-01-01", end="2025-01-01", channels={"a": {}, "b": {}})
    >>> rfm = clv.rfm_summary(sim.transactions).join(sim.customers["channel"].rename("arm"))
    >>> sorted(ab_tables(clv.ab_test(rfm, control="a", n_draws=50, seed=1)))
    ['ab_arms', 'ab_metrics', 'ab_tests']
    """
    metrics = result.table.copy()
    metrics.insert(2, "meaning", metrics["metric"].map(lambda m: METRICS[m][0]))
    return {"ab_metrics": metrics, "ab_tests": result.tests.reset_index(), "ab_arms": result.arms.reset_index()}


def _test_label(test: str) -> str:
    if test.startswith("permutation"):
        return "permutation, pooled fit"
    kind = "LR" if test.startswith("likelihood") else "Wald"
    return f"{kind}, within-customer" if "within" in test else kind


def _design(result: ABTest) -> str:
    """The design box: which test judged purchase rate and LTV, and why."""
    s = result.settings
    fit = result.within
    detail = ""
    if fit is not None:
        mult = ", ".join(f"{esc(str(a))} {t:.3f}" for a, t in fit.theta.items())
        detail = (f" Shared {s['model']} on {fit.n_customers:,} customers' whole histories: r {fit.params['r']:.3f}, alpha "
                  f"{fit.params['alpha']:.3f}, a {fit.params['a']:.3f}, b {fit.params['b']:.3f}; purchase-rate multiplier after "
                  f"assignment: {mult}.")
    return f'<p class="verdict"><b>Which test:</b> {esc(s.get("design_note", "post-assignment design"))}.{detail}</p>'


def _display(result: ABTest) -> pd.DataFrame:
    rows = []
    for _, r in result.table.iterrows():
        f = _fmt_value(r["metric"])
        rows.append({
            "arm": r["arm"], "metric": _LABELS[r["metric"]], "control": f(r["control"]), "treatment": f(r["treatment"]),
            "difference": f"{f(r['difference'])} [{f(r['difference_lower'])}, {f(r['difference_upper'])}]",
            "ratio": f"{fmt_number(r['ratio'], 3)} [{fmt_number(r['ratio_lower'], 3)}, {fmt_number(r['ratio_upper'], 3)}]",
            "p_value": "n/a" if not np.isfinite(r["p_value"]) else f"{r['p_value']:.3g} ({_test_label(r['test'])})",
            "better": f"{fmt_pct(r['p_treatment_better'])} ({r['better']} is better)",
        })
    return pd.DataFrame(rows)


_METRIC_COLUMNS = [("arm", "treatment arm", fmt_text), ("metric", "metric", fmt_text), ("control", "control", fmt_text),
                   ("treatment", "treatment", fmt_text), ("difference", "difference [interval]", fmt_text),
                   ("ratio", "ratio [interval]", fmt_text), ("p_value", "p-value", fmt_text),
                   ("better", "P(treatment better)", fmt_text)]
_TEST_COLUMNS = [("hypothesis", "null hypothesis", fmt_text), ("statistic", "statistic", lambda v: fmt_number(v, 2)),
                 ("df", "df", fmt_int), ("p_value", "p-value", lambda v: "n/a" if not np.isfinite(v) else f"{v:.3g}"),
                 ("loglik_pooled", "log-lik under the null", lambda v: fmt_number(v, 1)),
                 ("loglik_arms", "log-lik per arm", lambda v: fmt_number(v, 1))]
_ARM_COLUMNS = [("n_customers", "customers", fmt_int), ("repeat_buyers", "buyers after assignment", fmt_int),
                ("purchases", "purchases after assignment", fmt_int), ("mean_T", "mean time since assignment", lambda v: fmt_number(v, 1))]


def _tests(result: ABTest) -> pd.DataFrame:
    """The tests shown: under the within-customer design the post-assignment likelihood-ratio tests stay in ab_tests.csv only."""
    names = {"purchase_model": f"omnibus LR: purchase model ({result.settings['model']})",
             "spend_model": f"omnibus LR: spend model ({result.settings['spend_model']})"}
    for key in result.tests.index[2:]:
        metric, arm = key.split(": ", 1)
        if metric == "omnibus (permutation)":
            names[key] = f"omnibus permutation, max |t| ({arm})"
            continue
        within = metric.endswith(" (within-customer)")
        label = _LABELS[metric.removesuffix(" (within-customer)")]
        names[key] = f"within-customer LR: {label} multiplier ({arm})" if within else f"focused LR: {label} ({arm})"
    shown = ~result.tests["hypothesis"].str.endswith(REFERENCE_ONLY)
    return result.tests[shown].rename(index=names)


def _method(result: ABTest, exclusions: dict[str, int], unit: str) -> list[str]:
    s = result.settings
    level = f"{s['interval']:.0%}"
    within = result.within is not None
    return [
        "Each customer's clock starts at assignment: T is the time from assignment to the end of observation and only "
        "purchases on days after the assignment day count, so arms or customers assigned on different dates are compared "
        "at the same time since assignment (the models' quantities), not by raw purchases per customer"
        + (" (the post-assignment fits; the within-customer model uses the whole histories)." if within else "."),
        f"Models: {s['model']} (purchases) and {s['spend_model']} (spend per purchase), fitted per arm and on all arms pooled."
        + ("" if within else " The omnibus likelihood-ratio tests compare 'same parameters in every arm' with 'arm-specific "
           "parameters' (chi-square)."),
        *([] if within else [
            "p-values of purchase rate, dropout and spend (LR): focused likelihood-ratio tests of that quantity alone, 'equal in "
            "both arms' against arm-specific parameters, every other parameter free (chi-square, 1 df); they do not spend power on "
            "parameters the campaign did not move. LTV (Wald): two-sided Wald test with the parameter draws' standard deviation "
            "of the difference."]),
        _permutation_method(result),
        f"Intervals of the LR and Wald rows: {level} percentile intervals from {s['n_draws']} parameter draws of each arm's fit "
        f"(parametric bootstrap; arms independent); P(treatment better) is the share of draws in which the treatment arm is better.",
        f"Expected LTV: margin {s['margin']:g} x spend x expected purchases after assignment over {s['horizon']:g} {unit}, "
        f"discounted at {s['discount_rate']:.0%} a year (the assignment purchase itself is not counted).",
        "Left out: " + (", ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in exclusions.items() if v) or "nothing") + ".",
        *_within_method(result),
        "P(alive) is the model's probability that a customer of the arm is still active at the end of observation; under "
        "BG/NBD every purchase is a chance to drop out, so an arm that buys more can show a lower P(alive).",
    ]


def _permutation_method(result: ABTest) -> str:
    s = result.settings
    rows = "Dropout, P(alive) and spend" if result.within is not None else "P(alive)"
    what = ("posterior mean dropout probability and P(alive) given the whole history (within-customer model with one "
            "multiplier for all arms), conditional expected spend per purchase (Gamma-Gamma on the purchases after assignment, "
            "buyers only)" if result.within is not None else "P(alive) under the post-assignment model fitted on all arms pooled")
    omnibus = (" The omnibus test takes the largest |Welch t| over dropout, P(alive), spend and each customer's score in the "
               "post-assignment purchase-rate multiplier (purchases after assignment against what the customer's own past predicts), "
               "against its own permutation distribution (no multiple-testing correction needed)." if result.within is not None else "")
    return (f"{rows} (permutation): each customer's {what}, from one fit that does not look at the arms; the row compares the "
            f"arms' means with Welch's t and its p-value is the share of {s.get('n_permutations', 2000):,} random relabellings of "
            f"the customers (seeded) with a |t| at least as large. Under no effect the customers are exchangeable between the "
            f"arms, so this test has exact size. Its interval is Welch's normal interval from the customers' values: it covers "
            f"which customers fell in which arm, not the pooled fit's parameter uncertainty (shared by both arms); P(treatment "
            f"better) is its normal approximation.{omnibus}")


def _within_method(result: ABTest) -> list[str]:
    if result.within is None:
        return [f"Design: {result.settings.get('design_note', 'post-assignment design')}."]
    return [
        "Within-customer test (purchase rate, LTV): one model on the customers' whole histories from their first purchase, "
        "r, alpha, a, b shared by all arms, the purchase rate multiplied by theta_arm after the assignment. BG/NBD customers drop "
        "out only at purchases, so this is an exact time change: the likelihood is BG/NBD at the operational times times theta "
        "per purchase after assignment. theta_control absorbs anything that changed for everyone after the assignment date; "
        "the purchase-rate ratio is theta_treatment / theta_control and its p-value the likelihood-ratio test of equal "
        "multipliers (chi-square, 1 df). Each customer's own past is the baseline, which removes most of the spread of "
        "purchase rates between customers and raises the power.",
        "Chart: the dashed lines are the within-customer model's expected purchases after assignment, averaged over each "
        "arm's customers from their history on the assignment day.",
        "Within-customer LTV: for every customer of the experiment with a purchase (all arms pooled), the expected "
        "discounted purchases over the horizon after assignment given their history on the assignment day, with the arm's "
        "multiplier; intervals from draws of the model's asymptotic normal law (evaluated on a sample of 200 customers, "
        "scaled to all) times the arm's spend draws (Wald p-value).",
        "The post-assignment likelihood-ratio tests (omnibus and focused) treat every customer as active at assignment, which "
        "existing customers are not; they are not calibrated here and are kept for reference in ab_tests.csv only.",
    ]


def _html(result: ABTest, curves: pd.DataFrame | None, exclusions: dict[str, int], unit: str, title: str, subtitle: str) -> str:
    sections = [("summary", "Summary", f'<p class="verdict">{esc(result.summary())}</p>' + _design(result)
                 + table_html(_display(result), _METRIC_COLUMNS)
                 + table_html(_tests(result), _TEST_COLUMNS, index=("test", "channel")))]
    if curves is not None:
        time_unit = result.settings["time_unit"]
        png = figure_png(lambda ax: charts.arm_curves(curves, ax=ax, time_unit=time_unit, min_exposed=0.5), size=(10, 5))
        sections.append(("curves", "Purchases since assignment", img_tag(png, "Cumulative purchases per customer by arm")
                         + '<p class="note">Solid: purchases per customer observed for at least that long (customers '
                         "assigned later leave the average at their own horizon; the line stops where fewer than half "
                         "of the arm remain: beyond, it averages the earliest assignees only and is noisy); dashed: "
                         + ("the within-customer model (shared parameters, the arm's multiplier) from each customer's history on the "
                            "assignment day, averaged over the arm. " if result.within is not None else "each arm's fitted model. ")
                         + "Data in ab_curves.csv.</p>"))
    sections.append(("arms", "Arms", table_html(result.arms, _ARM_COLUMNS, index=("arm", "channel"))))
    items = "".join(f"<li>{esc(line)}</li>" for line in _method(result, exclusions, unit))
    sections.append(("method", "Method", f"<ul>{items}</ul>"))
    return page(title, subtitle, sections)


def _markdown(result: ABTest, exclusions: dict[str, int], unit: str, title: str) -> str:
    method = "\n".join(f"- {md_escape(line)}" for line in _method(result, exclusions, unit))
    return (f"# {md_escape(title)}\n\n{md_escape(result.summary())}\n\n" + md_table(_display(result), _METRIC_COLUMNS)
            + "\n\n" + md_table(_tests(result), _TEST_COLUMNS, index="test") + "\n\n## Arms\n\n"
            + md_table(result.arms, _ARM_COLUMNS, index="arm") + f"\n\n## Method\n\n{method}\n")


def write_ab_report(result: ABTest, out: str | Path, *, curves: pd.DataFrame | None = None, exclusions: dict[str, int] | None = None,
                    title: str = "A/B test on customer lifetime value", inputs: dict[str, str] | None = None) -> Path:
    """Write ``index.html``, ``summary.md``, ``abtest.json`` and the CSV tables of an A/B test to ``out``.

    Parameters
    ----------
    result : ABTest
        Output of :func:`clv.ab_test`.
    out : path
        Destination directory: new, empty, or an earlier A/B report (replaced as a whole, atomically).
    curves : pandas.DataFrame, optional
        :func:`clv.operations.arm_curves`; adds the chart and ``ab_curves.csv``.
    exclusions : dict, optional
        What the experiment frame left out (``experiment_rfm(...).attrs["exclusions"]``).
    title : str
    inputs : dict, optional
        Input file names, recorded in the JSON.

    Returns
    -------
    pathlib.Path

    Examples
    --------
    >>> import tempfile, pathlib, clv
    >>> sim = clv.simulate(2000, seed=5, start="2024-01-01", end="2025-01-01", channels={"a": {}, "b": {}})
    >>> rfm = clv.rfm_summary(sim.transactions).join(sim.customers["channel"].rename("arm"))
    >>> out = write_ab_report(clv.ab_test(rfm, control="a", n_draws=50, seed=1), pathlib.Path(tempfile.mkdtemp()) / "ab")
    >>> sorted(p.name for p in out.iterdir())
    ['ab_arms.csv', 'ab_metrics.csv', 'ab_tests.csv', 'abtest.json', 'index.html', 'summary.md']
    """
    out = Path(out)
    exclusions = dict(exclusions or {})
    unit = {"W": "weeks", "D": "days", "M": "months"}[result.settings["time_unit"]]
    subtitle = f"Control arm: {result.settings['control']}; horizon {result.settings['horizon']:g} {unit}"
    tables = ab_tables(result)
    if curves is not None:
        tables["ab_curves"] = curves
    check_destination(out, AB_MARKER)
    with atomic_directory(out) as tmp:
        for stem, frame in tables.items():
            frame.to_csv(tmp / f"{stem}.csv", index=False)
        (tmp / "index.html").write_text(_html(result, curves, exclusions, unit, title, subtitle), encoding="utf-8")
        (tmp / "summary.md").write_text(_markdown(result, exclusions, unit, title), encoding="utf-8")
        summary = {"summary": result.summary(), "settings": result.settings, "tests": result.tests.to_dict(orient="index"),
                   "metrics": result.table.to_dict(orient="records"), "arms": result.arms.to_dict(orient="index"),
                   "exclusions": exclusions, "inputs": dict(inputs or {}),
                   "files": sorted([f"{s}.csv" for s in tables] + ["index.html", "summary.md", AB_MARKER])}
        (tmp / AB_MARKER).write_text(json.dumps(jsonable(summary), indent=2, allow_nan=False) + "\n", encoding="utf-8")
    return out


def backtest_tables(bt: Any) -> dict[str, pd.DataFrame]:
    """The CSV tables of a backtest: ``backtest_channels``, ``backtest_tracking``, ``backtest_deciles``, ``backtest_frequency``.

    Parameters
    ----------
    bt : clv.Backtest

    Returns
    -------
    dict of pandas.DataFrame

    Examples
    --------
    >>> import clv
    >>> sorted(backtest_tables(clv.backtest(clv.datasets.load_cdnow(), holdout=39, observation_end="1998-06-30")))
    ['backtest_channels', 'backtest_deciles', 'backtest_frequency', 'backtest_tracking']
    """
    channels = bt.by_channel.copy()
    channels.index.name = "channel"
    return {"backtest_channels": channels.reset_index(), "backtest_tracking": bt.tracking.table.reset_index(),
            "backtest_deciles": bt.deciles.reset_index(), "backtest_frequency": bt.validation.by_frequency.reset_index()}


def write_backtest(bt: Any, out: str | Path, *, currency: str = "", inputs: dict[str, str] | None = None) -> Path:
    """Write the backtest's CSV tables and ``backtest.json`` (summary sentence, settings, metrics) to ``out``.

    Parameters
    ----------
    bt : clv.Backtest
    out : path
        New, empty, or an earlier backtest output (replaced as a whole, atomically).
    currency : str
        Label of revenue figures in the sentence.
    inputs : dict, optional
        Input file names, recorded in the JSON.

    Returns
    -------
    pathlib.Path

    Examples
    --------
    >>> import json, tempfile, pathlib, clv
    >>> bt = clv.backtest(clv.datasets.load_cdnow(), holdout=39, observation_end="1998-06-30")
    >>> out = write_backtest(bt, pathlib.Path(tempfile.mkdtemp()) / "bt")
    >>> json.loads((out / "backtest.json").read_text())["metrics"]["actual_total"]
    1882.0
    """
    out = Path(out)
    tables = backtest_tables(bt)
    check_destination(out, BACKTEST_MARKER)
    with atomic_directory(out) as tmp:
        for stem, frame in tables.items():
            frame.to_csv(tmp / f"{stem}.csv", index=False)
        summary = {"summary": bt.summary(currency=currency), "settings": bt.settings, "metrics": bt.validation.metrics.to_dict(),
                   "inputs": dict(inputs or {}), "files": sorted([f"{s}.csv" for s in tables] + [BACKTEST_MARKER])}
        (tmp / BACKTEST_MARKER).write_text(json.dumps(jsonable(summary), indent=2, allow_nan=False) + "\n", encoding="utf-8")
    return out

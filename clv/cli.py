"""The ``clv`` command line: argument parsing, progress and exit codes only.

Exit status: 0 on success; 2 with a one-line ``clv: error: ...`` message on
stderr (no traceback) for bad input, unreadable files or a model the data
cannot identify; click's own usage errors also exit 2. Progress goes to
stderr, results to the files named by ``--out`` (or stdout for
``clv fit --json``).
"""

from __future__ import annotations

import functools
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import numpy as np

import clv
from clv.data import data_path
from clv.errors import ClvError, DataError
from clv.output import atomic_file, csv_line_end
from clv.pipeline import ReportConfig, fit_pooled, run_report
from clv.valuation import DEFAULT_MARGIN

__all__ = ["main"]

_TRANSACTION_MODELS = sorted(clv.models.TRANSACTION_MODELS)


class _Progress:
    """Prints ``[  1.2s] message`` lines to stderr unless quiet."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.start = time.perf_counter()

    def __call__(self, message: str) -> None:
        if not self.quiet:
            click.echo(f"[{time.perf_counter() - self.start:6.1f}s] {message}", err=True)


def _fail(message: str) -> None:
    click.echo(f"clv: error: {' '.join(str(message).split())}", err=True)
    sys.exit(2)


def _guarded(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn input and file errors into exit status 2 with one line on stderr."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ClvError as exc:
            _fail(str(exc))
        except (OSError, UnicodeError) as exc:
            _fail(f"{type(exc).__name__}: {exc}")

    wrapper.__name__ = func.__name__
    wrapper.__doc__ = func.__doc__
    return wrapper


def _common(func: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option("--transactions", "-t", default=None, type=click.Path(),
                     help="Transaction log CSV/Parquet with customer_id, date, amount (a directory or glob with --engine duckdb/spark)."),
        click.option("--transactions-sql", default=None,
                     help='Read the transactions from a SQL query instead, e.g. "SELECT customer_id, order_date AS date, '
                          'revenue AS amount FROM orders" (needs --database-url).'),
        click.option("--database-url", default=None, envvar="CLV_DATABASE_URL",
                     help="SQLAlchemy URL of the database the --*-sql queries run on (or $CLV_DATABASE_URL); the password "
                          "may also come from the driver's variables (PGPASSWORD) and is never printed."),
        click.option("--customer-column", default="customer_id", show_default=True, help="Customer column of the transaction log."),
        click.option("--date-column", default="date", show_default=True, help="Date column of the transaction log."),
        click.option("--amount-column", default=None,
                     help="Amount column of the transaction log [default: amount; fit and score model purchases only when "
                          "the log has no 'amount' column]."),
        click.option("--date-format", default=None,
                     help="strftime pattern of the transaction dates, e.g. %d/%m/%Y (default: ISO 8601, or day/month order "
                          "decided once from the values)."),
        click.option("--observation-end", default=None, help="Last observed day (default: last transaction day)."),
        click.option("--time-unit", type=click.Choice(["W", "D", "M"]), default="W", show_default=True,
                     help="Time unit of rates and horizons: weeks, days or months."),
        click.option("--model", "model_kind", type=click.Choice(["mle", "bayes"]), default="mle", show_default=True,
                     help="Maximum likelihood (fast) or the hierarchical Bayesian model (clv.bayes)."),
        click.option("--transaction-model", type=click.Choice(_TRANSACTION_MODELS), default="bgnbd", show_default=True,
                     help="Purchase model for --model mle."),
        click.option("--seed", type=int, default=1, show_default=True, help="Seed of every random draw."),
        click.option("--quiet", "-q", is_flag=True, help="No progress messages."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _check_rate(ctx: click.Context, param: click.Parameter, value: float) -> float:
    """Refuse a rate the valuation would refuse (e.g. 10 typed for 10%) before any file is read."""
    try:
        clv.valuation.discount_factors([1.0], value, "W")
    except DataError as exc:
        _fail(f"--discount-rate: {exc}")
    return value


def _bayes_options(func: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option("--bayes-draws", type=int, default=500, show_default=True,
                     help="--model bayes: posterior draws per chain (and as many tuning steps)."),
        click.option("--chains", type=int, default=2, show_default=True, help="--model bayes: number of chains."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


class _Horizon(click.ParamType):
    """A horizon in time units, or ``lifetime`` (None: the whole remaining lifetime, discounted continuously)."""

    name = "NUMBER|lifetime"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> float | None:
        if value is None or (isinstance(value, str) and value.strip().lower() == "lifetime"):
            return None
        try:
            return float(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is neither a number of time units nor 'lifetime'", param, ctx)


def _report_horizon(func: Callable[..., Any]) -> Callable[..., Any]:
    """``--horizon`` of ``clv report``: a number of time units or ``lifetime``."""
    return click.option("--horizon", type=_Horizon(), default="52", show_default=True,
                        help="Horizon of LTV in time units, or 'lifetime' (the whole expected lifetime, discounted "
                             "continuously at --discount-rate). The 52-week and lifetime new-customer values are "
                             "shown side by side either way.")(func)


def _valuation_options(func: Callable[..., Any], *, horizon: bool = True) -> Callable[..., Any]:
    options = [
        click.option("--horizon", type=float, default=52.0, show_default=True, help="Forecast horizon in time units."),
        click.option("--discount-rate", type=float, default=0.1, show_default=True, callback=_check_rate,
                     help="Annual discount rate as a fraction (0.1 = 10%; above 1 is refused)."),
        click.option("--margin", type=float, default=DEFAULT_MARGIN, show_default=True,
                     help="Share of revenue kept as margin (1 = revenue; the Python API has the same default)."),
    ][0 if horizon else 1:]
    for option in reversed(options):
        func = option(func)
    return func


def _report_input_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Column names and date formats of the acquisition and spend files."""
    options = [
        click.option("--acquisitions-customer-column", default=None,
                     help="Customer column of the acquisition table [default: --customer-column]."),
        click.option("--channel-column", default="channel", show_default=True, help="Channel column of the acquisition table."),
        click.option("--acquired-at-column", default="acquired_at", show_default=True,
                     help="Acquisition date column of the acquisition table."),
        click.option("--cost-column", default=None, help="Per-customer cost column of the acquisition table [default: cost, if present]."),
        click.option("--acquired-at-format", default=None, help="strftime pattern of the acquisition dates."),
        click.option("--spend-channel-column", default=None, help="Channel column of the spend table [default: --channel-column]."),
        click.option("--period-column", default="period", show_default=True, help="Period column of the spend table."),
        click.option("--spend-column", default="spend", show_default=True, help="Spend column of the spend table."),
        click.option("--period-format", default=None, help="strftime pattern of the dates inside spend periods."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _covariate_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """The covariate file and the columns it feeds into each process (docs/covariates.md)."""
    split = lambda ctx, param, value: [c.strip() for c in (value or "").split(",") if c.strip()]  # noqa: E731
    options = [click.option("--covariates", default=None, type=click.Path(dir_okay=False),
                            help="Per-customer covariate table (CSV/Parquet); every customer of the transactions needs a row."),
               click.option("--covariates-customer-column", default="customer_id", show_default=True,
                            help="Customer column of the covariate table.")]
    options += [click.option(f"--{what}-covariates", default=None, callback=split,
                             help=f"Comma-separated covariate columns that move the {what}, e.g. region,first_order_value.")
                for what in ("purchase", "dropout", "spend")]
    for option in reversed(options):
        func = option(func)
    return func


def _write_csv_atomic(frame: Any, out: Path) -> None:
    with atomic_file(out) as tmp:
        frame.to_csv(tmp, lineterminator=csv_line_end(frame))


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
@click.version_option(clv.__version__, prog_name="clv")
def main() -> None:
    """Customer lifetime value for non-contractual businesses.

    \b
    Examples:
      clv demo --out reports/demo
      clv report -t tx.csv -a acquisitions.csv -s spend.csv --out reports/q3 --margin 0.35
      clv fit -t tx.csv --json > fit.json
      clv score -t tx.csv --out scores.csv --horizon 52 --discount-rate 0.1
      clv contracts --contracts contracts.csv     (sBG contract renewals; alias: clv retention)
    """


def _run_report(*, quiet: bool, **settings: Any) -> None:
    """Run :func:`clv.run_report` with progress lines on stderr unless quiet."""
    say = _Progress(quiet)
    columns = {k: settings.pop(k) for k in list(settings) if k in _COLUMN_OPTIONS}
    tx, acq, spend = _report_columns(**columns)
    run_report(ReportConfig(**settings, transaction_columns=tx, acquisition_columns=acq, spend_columns=spend,
                            progress=say, sampler_progress=not quiet))


_COVARIATE_OPTIONS = ("covariates", "covariates_customer_column", "purchase_covariates", "dropout_covariates", "spend_covariates")
_COLUMN_OPTIONS = ("customer_column", "date_column", "amount_column", "date_format", "acquisitions_customer_column",
                   "channel_column", "acquired_at_column", "cost_column", "acquired_at_format", "spend_channel_column",
                   "period_column", "spend_column", "period_format")


def _report_columns(*, customer_column: str = "customer_id", date_column: str = "date", amount_column: str | None = None,
                    date_format: str | None = None, acquisitions_customer_column: str | None = None,
                    channel_column: str = "channel", acquired_at_column: str = "acquired_at", cost_column: str | None = None,
                    acquired_at_format: str | None = None, spend_channel_column: str | None = None,
                    period_column: str = "period", spend_column: str = "spend",
                    period_format: str | None = None) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """Reader keyword arguments of the transaction, acquisition and spend files (the report needs amounts)."""
    tx = {"customer": customer_column, "date": date_column, "amount": amount_column or "amount", "date_format": date_format}
    acq = {"customer": acquisitions_customer_column or customer_column, "channel": channel_column,
           "acquired_at": acquired_at_column, "cost": cost_column, "date_format": acquired_at_format}
    spend = {"channel": spend_channel_column or channel_column, "period": period_column, "spend": spend_column,
             "date_format": period_format}
    return tx, acq, spend


@main.command()
@_common
@click.option("--acquisitions", "-a", default=None, type=click.Path(dir_okay=False),
              help="Acquisition table: customer_id, channel, acquired_at[, cost].")
@click.option("--acquisitions-sql", default=None, help="Read the acquisitions from a SQL query instead (--database-url).")
@click.option("--spend", "-s", default=None, type=click.Path(dir_okay=False),
              help="Channel spend: channel, period (2024-03 or 2024-03-04/2024-03-17), spend.")
@click.option("--spend-sql", default=None, help="Read the channel spend from a SQL query instead (--database-url).")
@_report_input_options
@click.option("--out", "-o", required=True, type=click.Path(file_okay=False), help="Report directory to write.")
@_report_horizon
@functools.partial(_valuation_options, horizon=False)
@click.option("--n-draws", type=int, default=100, show_default=True, help="Parameter draws for intervals and P(LTV > CAC).")
@_bayes_options
@click.option("--engine", type=click.Choice(["pandas", "duckdb", "spark"]), default="pandas", show_default=True,
              help="Where to summarise, fit and score: pandas in memory, embedded DuckDB (larger than memory, one machine), "
                   "or Spark (pip install 'clv[spark]').")
@click.option("--spark-master", default="local[*]", show_default=True, help="--engine spark: the Spark master URL.")
@click.option("--currency", default="", help="Currency label for money figures, e.g. USD.")
@click.option("--title", default="Customer lifetime value by acquisition channel", help="Report title.")
@click.option("--watchlist-size", type=click.IntRange(min=1), default=200, show_default=True,
              help="Rows of watchlist.csv (declining customers ranked by value at risk).")
@click.option("--model-sensitivity", is_flag=True,
              help="Also fit the other purchase model family per channel (Pareto/NBD against BG/NBD) and show the "
                   "headline under it (--model mle, --engine pandas).")
@_covariate_options
@_guarded
def report(**kwargs: Any) -> None:
    """Write the CAC vs LTV report (HTML, Markdown, CSV, JSON) to --out.

    \b
    Examples:
      clv report -t tx.csv -a acquisitions.csv -s spend.csv --out reports/q3
      clv report -t tx.parquet -a acq.csv --out reports/q3 --horizon 104 --margin 0.4 --seed 7
      clv report -t tx.csv -a acq.csv -s spend.csv --out reports/q3 --horizon lifetime
      clv report -t tx.csv -a acq.csv -s spend.csv --out reports/q3 --model bayes --chains 4 --bayes-draws 1000
      clv report --engine duckdb -t 'lake/tx-*.parquet' -a acq.csv -s spend.csv --out reports/q3
      clv report --engine spark --spark-master local[*] -t lake/tx.parquet -a acq.csv -s spend.csv --out reports/q3
      clv report -t tx.csv -a acq.csv -s spend.csv --out reports/q3 --covariates customers.csv \\
        --purchase-covariates region,first_order_value --dropout-covariates region --spend-covariates first_order_value
      clv report --engine duckdb --database-url postgresql://clv@db/shop -a acq.csv --out reports/q3 \\
        --transactions-sql "SELECT customer_id, order_date AS date, revenue AS amount FROM orders"
    """
    _run_report(**kwargs)


@main.command()
@click.option("--out", "-o", default="reports/demo", show_default=True, type=click.Path(file_okay=False),
              help="Report directory to write.")
@click.option("--seed", type=int, default=1, show_default=True, help="Seed of the bootstrap draws.")
@click.option("--n-draws", type=int, default=100, show_default=True, help="Parameter draws for intervals.")
@click.option("--quiet", "-q", is_flag=True, help="No progress messages.")
@_guarded
def demo(out: str, seed: int, n_draws: int, quiet: bool) -> None:
    """Run the report on the bundled demo shop (six channels, 30,000 customers).

    \b
    Example:
      clv demo --out reports/demo
    """
    _run_report(transactions=str(data_path("demo/transactions.csv")), acquisitions=str(data_path("demo/acquisitions.csv")),
                spend=str(data_path("demo/channel_spend.csv")), out=out, horizon=52.0, time_unit="W", discount_rate=0.1,
                margin=0.3, model_kind="mle", transaction_model="bgnbd", seed=seed, observation_end=None,
                n_draws=n_draws, currency="USD", quiet=quiet, title="Demo shop: customer lifetime value by acquisition channel",
                model_sensitivity=True)


def _pooled_models(transactions: str | None, observation_end: str | None, time_unit: str, model_kind: str, transaction_model: str,
                say: _Progress, *, customer_column: str = "customer_id", date_column: str = "date", amount_column: str | None = None,
                date_format: str | None = None, **options: Any) -> tuple[Any, Any, Any]:
    """:func:`clv.pipeline.fit_pooled` with the command's options; a log without amounts gets one line on stderr."""
    columns = {"customer": customer_column, "date": date_column, "amount": amount_column, "date_format": date_format}
    rfm, tm, sm = fit_pooled(transactions, observation_end=observation_end, time_unit=time_unit, model_kind=model_kind,
                             transaction_model=transaction_model, columns=columns, progress=say, **options)
    if sm is None:
        source = transactions if transactions is not None else "the --transactions-sql result"
        click.echo(f"clv: no 'amount' column in {source}: fitted the purchase model ({type(tm).__name__}) only, "
                   f"no spend model and no money columns (name one with --amount-column)", err=True)
    return rfm, tm, sm


def _print_posterior(models: tuple[Any, ...], payload: dict[str, Any], as_json: bool) -> None:
    """``clv fit --model bayes`` output: posterior summaries and diagnostics, as text or JSON."""
    from clv import bayes

    payload.update(transaction_model=bayes.posterior_json(models[0]), spend_model=bayes.posterior_json(models[1]))
    if as_json:
        click.echo(json.dumps(payload, indent=2))
        return
    for m in models:
        click.echo(m.summary().to_string())
        diag = m.diagnostics()
        verdict = "passed" if diag.passed else "FAILED"
        click.echo(f"diagnostics {verdict}: max R-hat {diag.max_rhat:.4f}, min bulk ESS {diag.min_ess_bulk:.0f}, "
                   f"min tail ESS {diag.min_ess_tail:.0f}, {diag.divergences} divergences ({diag.chains} x {diag.draws} draws)\n")


def _model_json(model: Any) -> dict[str, Any]:
    result = model.result_
    return {
        "model": type(model).__name__,
        "params": {k: float(v) for k, v in result.params.items()},
        "std_err": {k: _finite_or_none(v) for k, v in result.std_err.items()},
        "log_likelihood": _finite_or_none(result.log_likelihood),
        "aic": _finite_or_none(result.aic),
        "bic": _finite_or_none(result.bic),
        "n_obs": float(result.n_obs),
        "converged": bool(result.converged),
        "boundary": model.boundary_,
        **({"exclusions": result.extra["exclusions"]} if "exclusions" in result.extra else {}),
    }


_ENGINE = click.option("--engine", type=click.Choice(["pandas", "duckdb"]), default="pandas", show_default=True,
                       help="pandas in memory, or embedded DuckDB (larger than memory: the fit sees the distinct tuples, "
                            "scores are written chunk by chunk).")


def _finite_or_none(value: float) -> float | None:
    """JSON has no NaN or infinity: a degenerate likelihood (a limit model's point mass) is written as null."""
    return float(value) if np.isfinite(value) else None


@main.command()
@_common
@click.option("--json", "as_json", is_flag=True, help="Print parameters and fit statistics as JSON on stdout.")
@click.option("--save", default=None, type=click.Path(dir_okay=False),
              help="Also save the transaction model (JSON; netCDF with --model bayes).")
@_ENGINE
@_bayes_options
@_covariate_options
@_guarded
def fit(transactions: str | None, observation_end: str | None, time_unit: str, model_kind: str, transaction_model: str,
        seed: int, quiet: bool, as_json: bool, save: str | None, bayes_draws: int, chains: int, engine: str = "pandas",
        transactions_sql: str | None = None, database_url: str | None = None, **columns: Any) -> None:
    """Fit the purchase model and the Gamma-Gamma spend model; print parameters and fit statistics.

    \b
    Examples:
      clv fit -t tx.csv --json > fit.json
      clv fit -t tx.csv --transaction-model paretonbd --observation-end 2025-06-30
      clv fit -t export.csv --customer-column user_id --date-column order_date --amount-column revenue
      clv fit --engine duckdb -t 'lake/*.parquet' --json > fit.json
      clv fit -t tx.csv --model bayes --chains 4 --json > posterior.json
      clv fit -t tx.csv --covariates customers.csv --purchase-covariates region,first_order_value --json
    """
    say = _Progress(quiet)
    covariates = {k: columns.pop(k) for k in _COVARIATE_OPTIONS}
    rfm, tm, sm = _pooled_models(transactions, observation_end, time_unit, model_kind, transaction_model, say, engine=engine,
                                 query=transactions_sql, url=database_url, seed=seed, bayes_draws=bayes_draws, chains=chains,
                                 covariates=covariates, **columns)
    if save:
        tm.save(save)
    customers = rfm.customers if engine == "duckdb" else len(rfm)
    payload = {"customers": customers, "observation_end": rfm.attrs["observation_end"], "time_unit": time_unit,
               "rfm_exclusions": rfm.attrs["exclusions"]}
    if model_kind == "bayes":
        _print_posterior((tm, sm), payload, as_json)
        return
    payload.update(transaction_model=_model_json(tm), spend_model=None if sm is None else _model_json(sm))
    if as_json:
        click.echo(json.dumps(payload, indent=2))
        return
    for m in (tm, sm) if sm is not None else (tm,):
        click.echo(m.summary().to_string())
        click.echo(f"log-likelihood {m.log_likelihood_:.2f}\n")


@main.command()
@_common
@click.option("--out", "-o", required=True, type=click.Path(dir_okay=False), help="CSV file of per-customer scores.")
@_valuation_options
@click.option("--interval", type=float, default=None,
              help="Add clv_lower/clv_upper at this level, e.g. 0.9 (--model bayes: posterior intervals, 0.9 by default).")
@_ENGINE
@_bayes_options
@_guarded
def score(transactions: str | None, observation_end: str | None, time_unit: str, model_kind: str, transaction_model: str,
          seed: int, quiet: bool, out: str, horizon: float, discount_rate: float, margin: float, interval: float | None,
          bayes_draws: int, chains: int, engine: str = "pandas", transactions_sql: str | None = None,
          database_url: str | None = None, **columns: Any) -> None:
    """Score every customer: P(alive), expected purchases and spend, discounted CLV.

    \b
    Examples:
      clv score -t tx.csv --out scores.csv
      clv score -t tx.csv --out scores.csv --horizon 26 --interval 0.9 --seed 3
      clv score --engine duckdb -t lake/ --out scores.csv
      clv score -t tx.csv --out scores.csv --model bayes   (posterior means, 90% intervals)
    """
    say = _Progress(quiet)
    rfm, tm, sm = _pooled_models(transactions, observation_end, time_unit, model_kind, transaction_model, say, engine=engine,
                              query=transactions_sql, url=database_url, seed=seed, bayes_draws=bayes_draws, chains=chains, **columns)
    say("scoring")
    if engine == "duckdb":
        from clv import duckdb as duck

        duck.score(rfm, tm, sm, horizon=horizon, discount_rate=discount_rate, margin=margin, time_unit=time_unit,
                   interval=interval, seed=seed, out_csv=out, table=False)
        say(f"wrote {rfm.customers:,} rows to {out}")
        return
    if sm is None:
        scores = clv.purchase_forecast(tm, rfm, horizon=horizon, time_unit=time_unit)
    else:
        scores = clv.customer_value(tm, sm, rfm, horizon=horizon, discount_rate=discount_rate, margin=margin,
                                    time_unit=time_unit, interval=interval, seed=seed)
    _write_csv_atomic(rfm.join(scores), Path(out))
    say(f"wrote {len(scores):,} rows to {out}")


@main.command()
@click.option("--transactions", "-t", required=True, type=click.Path(), help="Transaction log CSV/Parquet.")
@click.option("--arms", required=True, type=click.Path(dir_okay=False), help="Arms table: customer_id, arm[, assigned_at].")
@click.option("--out", "-o", required=True, type=click.Path(file_okay=False), help="Report directory to write.")
@click.option("--control", default=None, help="Control arm (default: 'control' if present, else the first arm by name).")
@click.option("--observation-end", default=None, help="Last observed day (default: last transaction day).")
@click.option("--transaction-model", type=click.Choice(_TRANSACTION_MODELS), default="bgnbd", show_default=True)
@_valuation_options
@click.option("--n-draws", type=int, default=500, show_default=True, help="Parameter draws per arm for intervals.")
@click.option("--seed", type=int, default=1, show_default=True, help="Seed of the parameter draws.")
@click.option("--within/--no-within", default=None,
              help="Within-customer test (each customer's pre-assignment history as baseline; BG/NBD, MBG/NBD). "
                   "Default: used when customers bought before their assigned_at.")
@click.option("--quiet", "-q", is_flag=True, help="No progress messages.")
@_guarded
def abtest(transactions: str, arms: str, out: str, control: str | None, observation_end: str | None, transaction_model: str,
           horizon: float, discount_rate: float, margin: float, n_draws: int, seed: int, within: bool | None, quiet: bool) -> None:
    """Compare the arms of an experiment on purchase rate, dropout, spend and expected LTV (HTML, Markdown, CSV, JSON).

    \b
    Examples:
      clv abtest -t tx.csv --arms arms.csv --out reports/coupon
      clv abtest -t tx.csv --arms arms.csv --out reports/coupon --control A --horizon 26 --margin 0.35
    """
    from clv.operations import arm_curves, experiment_rfm
    from clv.reports.operations_report import write_ab_report

    say = _Progress(quiet)
    tx = clv.read_transactions(transactions)
    table = clv.data.read_arms(arms)
    rfm = experiment_rfm(tx, table, observation_end=observation_end, history=True)
    say(f"{len(rfm):,} customers in {rfm['arm'].nunique()} arms; fitting each arm and the pooled models")
    model = clv.models.TRANSACTION_MODELS[transaction_model]()
    result = clv.ab_test(rfm, control=control, model=model, horizon=horizon, discount_rate=discount_rate, margin=margin,
                         n_draws=n_draws, seed=seed, within=within)
    say(result.settings["design_note"])
    curves = arm_curves(tx, table, result, observation_end=observation_end)
    write_ab_report(result, out, curves=curves, exclusions=rfm.attrs["exclusions"],
                    inputs={"transactions file": str(transactions), "arms file": str(arms)})
    click.echo(result.summary())
    say(f"done: {Path(out) / 'index.html'}")


@main.command()
@click.option("--transactions", "-t", required=True, type=click.Path(), help="Transaction log CSV/Parquet.")
@click.option("--acquisitions", "-a", default=None, type=click.Path(dir_okay=False), help="Acquisition table, for per-channel rows.")
@click.option("--out", "-o", required=True, type=click.Path(file_okay=False), help="Directory for the CSV tables and backtest.json.")
@click.option("--holdout", type=float, default=None, help="Holdout in time units (default: last quarter of the span, >= 13 weeks).")
@click.option("--observation-end", default=None, help="Last observed day (default: last transaction day).")
@click.option("--time-unit", type=click.Choice(["W", "D", "M"]), default="W", show_default=True)
@click.option("--transaction-model", type=click.Choice(_TRANSACTION_MODELS), default="bgnbd", show_default=True)
@click.option("--currency", default="", help="Currency label for revenue, e.g. USD.")
@_guarded
def backtest(transactions: str, acquisitions: str | None, out: str, holdout: float | None, observation_end: str | None,
             time_unit: str, transaction_model: str, currency: str) -> None:
    """Refit on all but the last --holdout, forecast it, and compare with what happened (purchases and revenue).

    \b
    Examples:
      clv backtest -t tx.csv --out reports/backtest
      clv backtest -t tx.csv -a acquisitions.csv --holdout 13 --out reports/backtest --currency USD
    """
    from clv.reports.operations_report import write_backtest

    tx = clv.read_transactions(transactions)
    acq = clv.read_acquisitions(acquisitions) if acquisitions else None
    model = clv.models.TRANSACTION_MODELS[transaction_model]()
    bt = clv.backtest(tx, holdout=holdout, model=model, acquisitions=acq, observation_end=observation_end, time_unit=time_unit)
    write_backtest(bt, out, currency=currency, inputs={"transactions file": str(transactions)})
    click.echo(bt.summary(currency=currency))


@main.command("contracts", short_help="Contract renewals (sBG model): fit and projection. Alias: retention.")
@click.option("--contracts", "-c", required=True, type=click.Path(), help="CSV/Parquet with one row per customer: renewals made and churn flag.")
@click.option("--tenure", default="tenure", show_default=True, help="Column with the number of renewals made.")
@click.option("--churned", default="churned", show_default=True, help="Column with the churn flag (true/false or 1/0).")
@click.option("--weight", default=None, help="Column with the number of customers per row (aggregated data).")
@click.option("--group", default=None, help="Column with a cohort or channel label: one fit per group as well.")
@click.option("--periods", type=int, default=10, show_default=True, help="Projection length in periods.")
@_guarded
def contracts(contracts: str, tenure: str, churned: str, weight: str | None, group: str | None, periods: int) -> None:
    """Contract renewals: fit the shifted-beta-geometric model (clv.ShiftedBetaGeo); print the fit and a projection.

    For subscriptions and contracts, where churn is observed. Not the cohort
    retention (repeat-purchase) table of purchase logs: that is
    clv.retention_table and the report's "Retention by cohort" section.
    'clv retention' is the former name of this command and still works.

    \b
    Example:
      clv contracts --contracts contracts.csv --weight n --group cohort
    """
    model = clv.ShiftedBetaGeo().fit(contracts, weights=weight, group=group, tenure=tenure, churned=churned)
    for label, m in [("all customers", model), *model.group_models_.items()]:
        click.echo(f"== {label}: {m.n_obs_:,.0f} customers, log-likelihood {m.log_likelihood_:.2f}")
        click.echo(m.summary().round(4).to_string())
        click.echo(m.projection(periods, cohort_size=m.n_obs_).round(4).to_string() + "\n")


# The command's name before session 4; kept so scripts keep working. Same options and output.
main.add_command(click.Command(
    "retention", params=contracts.params, callback=contracts.callback, context_settings=contracts.context_settings,
    short_help="Alias of 'clv contracts' (sBG contract renewals; not cohort retention tables).",
    help="Alias of 'clv contracts': contract renewals under the shifted-beta-geometric model.\n\n"
         "This is about contracts and subscriptions with observed churn. The cohort retention (repeat-purchase) "
         "table of purchase logs is clv.retention_table and the report's 'Retention by cohort' section.",
))


if __name__ == "__main__":  # pragma: no cover
    main()

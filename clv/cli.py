"""The ``clv`` command line: argument parsing, progress and exit codes only.

Exit status: 0 on success; 2 with a one-line ``clv: error: ...`` message on
stderr (no traceback) for bad input, unreadable files or a model the data
cannot identify; click's own usage errors also exit 2. Progress goes to
stderr, results to the files named by ``--out`` (or stdout for
``clv fit --json``).
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

import clv
from clv.channels import PosteriorChannelModels, channel_report, fit_channel_models
from clv.data import data_path
from clv.data.validation import table_columns
from clv.errors import ClvError, DataError
from clv.valuation import DEFAULT_MARGIN

__all__ = ["main"]

_TRANSACTION_MODELS = ["bgnbd", "mbgnbd", "paretonbd"]


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
        click.option("--transactions", "-t", required=True, type=click.Path(),
                     help="Transaction log CSV/Parquet with customer_id, date, amount (a Parquet directory with --engine spark)."),
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


def _valuation_options(func: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option("--horizon", type=float, default=52.0, show_default=True, help="Forecast horizon in time units."),
        click.option("--discount-rate", type=float, default=0.1, show_default=True, callback=_check_rate,
                     help="Annual discount rate as a fraction (0.1 = 10%; above 1 is refused)."),
        click.option("--margin", type=float, default=DEFAULT_MARGIN, show_default=True,
                     help="Share of revenue kept as margin (1 = revenue; the Python API has the same default)."),
    ]
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


def _transaction_columns(transactions: str, customer_column: str = "customer_id", date_column: str = "date",
                         amount_column: str | None = None, date_format: str | None = None, *,
                         amounts: str = "optional") -> dict[str, Any]:
    """Keyword arguments of :func:`clv.read_transactions` for the command-line options.

    ``amounts="optional"`` (fit, score): without --amount-column, a log with
    no ``amount`` column is read as purchase-only. ``"required"`` (report):
    lifetime value needs amounts.
    """
    amount = amount_column
    if amount is None:
        amount = "amount"
        if "amount" not in table_columns(transactions, "transactions"):
            if amounts == "required":
                raise DataError(f"column 'amount': missing from the transactions table {transactions}; the report values "
                                f"customers, and lifetime value needs purchase amounts: name the amount column with "
                                f"--amount-column (clv fit and clv score also work without amounts)")
            amount = None
    return {"customer": customer_column, "date": date_column, "amount": amount, "date_format": date_format}


def _rfm(transactions: str, observation_end: str | None, time_unit: str, say: _Progress,
         columns: dict[str, Any] | None = None) -> tuple[Any, Any]:
    say(f"reading {transactions}")
    tx = clv.read_transactions(transactions, **(columns or {}))
    rfm = clv.rfm_summary(tx, observation_end=observation_end, time_unit=time_unit)
    say(f"{len(tx):,} transactions, {len(rfm):,} customers, observation end {rfm.attrs['observation_end']}")
    return tx, rfm


UNATTRIBUTED = "(no acquisition record)"


def _channel_of(rfm: Any, acquisitions: Any) -> Any:
    """Channel of every scored customer; customers missing from the acquisitions get their own group."""
    return acquisitions.set_index("customer_id")["channel"].reindex(rfm.index).fillna(UNATTRIBUTED)


def _bayes_models(rfm: Any, acquisitions: Any, seed: int, say: _Progress, draws: int = 500,
                  chains: int = 2) -> PosteriorChannelModels:
    if draws < 50 or chains < 1:
        raise DataError(f"--bayes-draws must be at least 50 and --chains at least 1 (got {draws}, {chains})")
    """Fit the grouped Bayesian models, or explain why they cannot be used."""
    try:
        from clv import bayes
    except ImportError:
        bayes = None
    needed = ("HierarchicalBetaGeo", "HierarchicalGammaGamma")
    if bayes is None or not all(hasattr(bayes, n) for n in needed):
        raise DataError("--model bayes needs clv.bayes.HierarchicalBetaGeo/HierarchicalGammaGamma, "
                        "which this installation does not provide yet; use --model mle")
    grouped = rfm.assign(channel=_channel_of(rfm, acquisitions))
    say(f"sampling the hierarchical BG/NBD ({chains} chains x {draws} draws; this takes minutes)")
    bar = not say.quiet  # the sampler's own progress bar, on stderr
    tm = bayes.HierarchicalBetaGeo(group="channel", progressbar=bar).fit(grouped, draws=draws, tune=draws, chains=chains,
                                                                        random_seed=seed)
    say("sampling the hierarchical Gamma-Gamma")
    sm = bayes.HierarchicalGammaGamma(group="channel", progressbar=bar).fit(grouped, draws=draws, tune=draws, chains=chains,
                                                                           random_seed=seed)
    return PosteriorChannelModels(tm, sm)


def _spark_inputs(transactions: str, acquisitions: Any, *, model_kind: str, master: str, say: _Progress,
                  **settings: Any) -> tuple[Any, Any, Any, Any]:
    """Summary, per-channel fits and scores computed on Spark (clv.spark.report_inputs)."""
    if model_kind == "bayes":
        raise DataError("--engine spark supports --model mle only")
    try:
        from pyspark.errors import PySparkException

        import clv.spark
    except ImportError:
        raise DataError('--engine spark needs PySpark: pip install "clv[spark]"') from None
    say(f"starting Spark ({master}) and summarising {transactions} there")
    try:
        inputs = clv.spark.report_inputs(transactions, acquisitions, master=master, progress=say, **settings)
    except ImportError as exc:
        raise DataError(str(exc)) from None
    except PySparkException as exc:
        raise DataError(f"Spark failed: {str(exc).strip().splitlines()[0]}") from None
    return None, inputs.rfm, inputs.models, inputs.scores


def _write_csv_atomic(frame: Any, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=out.parent, prefix=f".{out.name}.", suffix=".tmp", delete=False) as handle:
        tmp = Path(handle.name)
    try:
        frame.to_csv(tmp)
        tmp.replace(out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


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
    """


def _run_report(*, transactions: str, acquisitions: str, spend: str | None, out: str, horizon: float, time_unit: str,
                discount_rate: float, margin: float, model_kind: str, transaction_model: str, seed: int,
                observation_end: str | None, n_draws: int, currency: str, quiet: bool, title: str,
                bayes_draws: int = 500, chains: int = 2, engine: str = "pandas", spark_master: str = "local[*]",
                **columns: Any) -> None:
    from clv.reports import default_sections, write_report
    from clv.reports.lifecycle_section import lifecycle_extra, with_lifecycle

    say = _Progress(quiet)
    tx_columns, acq_columns, spend_columns = _report_columns(transactions, engine, **columns)
    acq = clv.read_acquisitions(acquisitions, **acq_columns)
    sp = clv.read_channel_spend(spend, **spend_columns) if spend else None
    say(f"{len(acq):,} acquisitions in {acq['channel'].nunique()} channels" + (f"; {len(sp):,} spend rows" if sp is not None else ""))
    if engine == "spark":
        tx, rfm, models, scores = _spark_inputs(transactions, acq, model_kind=model_kind, master=spark_master,
                                                observation_end=observation_end, time_unit=time_unit, horizon=horizon,
                                                discount_rate=discount_rate, margin=margin,
                                                transaction_model=transaction_model, say=say,
                                                **{k: v for k, v in tx_columns.items() if k != "date_format"})
    else:
        tx, rfm = _rfm(transactions, observation_end, time_unit, say, tx_columns)
        if model_kind == "bayes":
            models = _bayes_models(rfm, acq, seed, say, draws=bayes_draws, chains=chains)
        else:
            models = fit_channel_models(rfm, acq, transaction_model=transaction_model, progress=say)
        say("scoring customers with their channel's model")
        scores = models.score(rfm, _channel_of(rfm, acq), horizon=horizon, discount_rate=discount_rate,
                              margin=margin, time_unit=time_unit, n_draws=n_draws, seed=seed)
    report = channel_report(scores, acq, spend=sp, transactions=tx, rfm=rfm, models=models, horizon=horizon,
                            discount_rate=discount_rate, margin=margin, time_unit=time_unit, n_draws=n_draws, seed=seed,
                            progress=say)
    say("placing customers in lifecycle stages")
    extra = lifecycle_extra(scores, rfm, models, acq.set_index("customer_id")["channel"], seed=seed)
    say(f"writing the report to {out}")
    inputs = {"transactions file": str(transactions), "acquisitions file": str(acquisitions),
              "spend file": str(spend) if spend else "none"}
    write_report(report, out, currency=currency, inputs=inputs, title=title, sections=with_lifecycle(default_sections()),
                 extra=extra)
    say(f"done: {Path(out) / 'index.html'}")


def _report_columns(transactions: str, engine: str, *, customer_column: str = "customer_id", date_column: str = "date",
                    amount_column: str | None = None, date_format: str | None = None,
                    acquisitions_customer_column: str | None = None, channel_column: str = "channel",
                    acquired_at_column: str = "acquired_at", cost_column: str | None = None, acquired_at_format: str | None = None,
                    spend_channel_column: str | None = None, period_column: str = "period", spend_column: str = "spend",
                    period_format: str | None = None) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """Reader keyword arguments of the transaction, acquisition and spend files."""
    if engine == "spark":
        if date_format is not None:
            raise DataError("--date-format is not supported with --engine spark (Spark reads typed dates); use --engine pandas")
        tx = {"customer": customer_column, "date": date_column, "amount": amount_column or "amount"}
    else:
        tx = _transaction_columns(transactions, customer_column, date_column, amount_column, date_format, amounts="required")
    acq = {"customer": acquisitions_customer_column or customer_column, "channel": channel_column,
           "acquired_at": acquired_at_column, "cost": cost_column, "date_format": acquired_at_format}
    spend = {"channel": spend_channel_column or channel_column, "period": period_column, "spend": spend_column,
             "date_format": period_format}
    return tx, acq, spend


@main.command()
@_common
@click.option("--acquisitions", "-a", required=True, type=click.Path(dir_okay=False),
              help="Acquisition table: customer_id, channel, acquired_at[, cost].")
@click.option("--spend", "-s", default=None, type=click.Path(dir_okay=False),
              help="Channel spend: channel, period (2024-03 or 2024-03-04/2024-03-17), spend.")
@_report_input_options
@click.option("--out", "-o", required=True, type=click.Path(file_okay=False), help="Report directory to write.")
@_valuation_options
@click.option("--n-draws", type=int, default=100, show_default=True, help="Parameter draws for intervals and P(LTV > CAC).")
@click.option("--bayes-draws", type=int, default=500, show_default=True,
              help="--model bayes: posterior draws per chain (and as many tuning steps).")
@click.option("--chains", type=int, default=2, show_default=True, help="--model bayes: number of chains.")
@click.option("--engine", type=click.Choice(["pandas", "spark"]), default="pandas", show_default=True,
              help="Where to summarise, fit and score: in this process, or on Spark (pip install 'clv[spark]').")
@click.option("--spark-master", default="local[*]", show_default=True, help="--engine spark: the Spark master URL.")
@click.option("--currency", default="", help="Currency label for money figures, e.g. USD.")
@click.option("--title", default="Customer lifetime value by acquisition channel", help="Report title.")
@_guarded
def report(**kwargs: Any) -> None:
    """Write the CAC vs LTV report (HTML, Markdown, CSV, JSON) to --out.

    \b
    Examples:
      clv report -t tx.csv -a acquisitions.csv -s spend.csv --out reports/q3
      clv report -t tx.parquet -a acq.csv --out reports/q3 --horizon 104 --margin 0.4 --seed 7
      clv report -t tx.csv -a acq.csv -s spend.csv --out reports/q3 --model bayes --chains 4 --bayes-draws 1000
      clv report --engine spark --spark-master local[*] -t lake/tx.parquet -a acq.csv -s spend.csv --out reports/q3
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
                margin=0.3, model_kind="mle", transaction_model="bgnbd", seed=seed, observation_end="2025-12-31",
                n_draws=n_draws, currency="USD", quiet=quiet, title="Demo shop: customer lifetime value by acquisition channel")


def _fit_pooled(command: str, transactions: str, observation_end: str | None, time_unit: str, model_kind: str,
                transaction_model: str, say: _Progress, **columns: Any) -> tuple[Any, Any, Any]:
    """Read the log and fit one purchase model and one spend model on every customer.

    A log without amounts (no ``amount`` column and no --amount-column) gets
    the purchase model only: the spend model is ``None``, and one line on
    stderr says so.
    """
    if model_kind == "bayes":
        raise DataError(f"clv {command} --model bayes is not available yet; use --model mle (or clv.bayes from Python)")
    read = _transaction_columns(transactions, **columns)
    _, rfm = _rfm(transactions, observation_end, time_unit, say, read)
    cls = {"bgnbd": clv.BetaGeo, "mbgnbd": clv.ModifiedBetaGeo, "paretonbd": clv.ParetoNBD}[transaction_model]
    if read["amount"] is None:
        click.echo(f"clv: no 'amount' column in {transactions}: fitting the purchase model ({cls.__name__}) only, "
                   f"no spend model and no money columns (name one with --amount-column)", err=True)
        return rfm, cls().fit(rfm), None
    say(f"fitting {cls.__name__} and GammaGamma")
    return rfm, cls().fit(rfm), clv.GammaGamma().fit(rfm)


def _model_json(model: Any) -> dict[str, Any]:
    result = model.result_
    return {
        "model": type(model).__name__,
        "params": {k: float(v) for k, v in result.params.items()},
        "std_err": {k: (float(v) if v == v else None) for k, v in result.std_err.items()},
        "log_likelihood": float(result.log_likelihood),
        "aic": float(result.aic),
        "bic": float(result.bic),
        "n_obs": float(result.n_obs),
        "converged": bool(result.converged),
        **({"exclusions": result.extra["exclusions"]} if "exclusions" in result.extra else {}),
    }


@main.command()
@_common
@click.option("--json", "as_json", is_flag=True, help="Print parameters and fit statistics as JSON on stdout.")
@click.option("--save", default=None, type=click.Path(dir_okay=False), help="Also save the transaction model as JSON.")
@_guarded
def fit(transactions: str, observation_end: str | None, time_unit: str, model_kind: str, transaction_model: str,
        seed: int, quiet: bool, as_json: bool, save: str | None, **columns: Any) -> None:
    """Fit the purchase model and the Gamma-Gamma spend model; print parameters and fit statistics.

    \b
    Examples:
      clv fit -t tx.csv --json > fit.json
      clv fit -t tx.csv --transaction-model paretonbd --observation-end 2025-06-30
      clv fit -t export.csv --customer-column user_id --date-column order_date --amount-column revenue
    """
    say = _Progress(quiet)
    rfm, tm, sm = _fit_pooled("fit", transactions, observation_end, time_unit, model_kind, transaction_model, say, **columns)
    if save:
        tm.save(save)
    payload = {"customers": len(rfm), "observation_end": rfm.attrs["observation_end"], "time_unit": time_unit,
               "rfm_exclusions": rfm.attrs["exclusions"], "transaction_model": _model_json(tm),
               "spend_model": None if sm is None else _model_json(sm)}
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
@click.option("--interval", type=float, default=None, help="Add clv_lower/clv_upper at this level, e.g. 0.9.")
@_guarded
def score(transactions: str, observation_end: str | None, time_unit: str, model_kind: str, transaction_model: str,
          seed: int, quiet: bool, out: str, horizon: float, discount_rate: float, margin: float, interval: float | None,
          **columns: Any) -> None:
    """Score every customer: P(alive), expected purchases and spend, discounted CLV.

    \b
    Examples:
      clv score -t tx.csv --out scores.csv
      clv score -t tx.csv --out scores.csv --horizon 26 --interval 0.9 --seed 3
    """
    say = _Progress(quiet)
    rfm, tm, sm = _fit_pooled("score", transactions, observation_end, time_unit, model_kind, transaction_model, say, **columns)
    say("scoring")
    if sm is None:
        scores = clv.purchase_forecast(tm, rfm, horizon=horizon, time_unit=time_unit)
    else:
        scores = clv.customer_value(tm, sm, rfm, horizon=horizon, discount_rate=discount_rate, margin=margin,
                                    time_unit=time_unit, interval=interval, seed=seed)
    _write_csv_atomic(rfm.join(scores), Path(out))
    say(f"wrote {len(scores):,} rows to {out}")


if __name__ == "__main__":  # pragma: no cover
    main()

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
from clv.pipeline import ReportConfig, read_rfm, run_report

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
        click.option("--transactions", "-t", required=True, type=click.Path(),
                     help="Transaction log CSV/Parquet with customer_id, date, amount (a Parquet directory with --engine spark)."),
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


def _valuation_options(func: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option("--horizon", type=float, default=52.0, show_default=True, help="Forecast horizon in time units."),
        click.option("--discount-rate", type=float, default=0.1, show_default=True, help="Annual discount rate."),
        click.option("--margin", type=float, default=0.3, show_default=True, help="Share of revenue kept as margin."),
    ]
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
    """


def _run_report(*, quiet: bool, **settings: Any) -> None:
    """Run :func:`clv.run_report` with progress lines on stderr unless quiet."""
    say = _Progress(quiet)
    run_report(ReportConfig(**settings, progress=say, sampler_progress=not quiet))


@main.command()
@_common
@click.option("--acquisitions", "-a", required=True, type=click.Path(dir_okay=False),
              help="Acquisition table: customer_id, channel, acquired_at[, cost].")
@click.option("--spend", "-s", default=None, type=click.Path(dir_okay=False),
              help="Channel spend: channel, period (2024-03 or 2024-03-04/2024-03-17), spend.")
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
                transaction_model: str, say: _Progress) -> tuple[Any, Any, Any]:
    """Read the log and fit one purchase model and one spend model on every customer."""
    if model_kind == "bayes":
        raise DataError(f"clv {command} --model bayes is not available yet; use --model mle (or clv.bayes from Python)")
    _, rfm = read_rfm(transactions, observation_end, time_unit, say)
    cls = clv.models.transaction_model_class(transaction_model)
    say(f"fitting {cls.__name__} and GammaGamma")
    return rfm, cls().fit(rfm), clv.GammaGamma().fit(rfm)


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


def _finite_or_none(value: float) -> float | None:
    """JSON has no NaN or infinity: a degenerate likelihood (a limit model's point mass) is written as null."""
    return float(value) if np.isfinite(value) else None


@main.command()
@_common
@click.option("--json", "as_json", is_flag=True, help="Print parameters and fit statistics as JSON on stdout.")
@click.option("--save", default=None, type=click.Path(dir_okay=False), help="Also save the transaction model as JSON.")
@_guarded
def fit(transactions: str, observation_end: str | None, time_unit: str, model_kind: str, transaction_model: str,
        seed: int, quiet: bool, as_json: bool, save: str | None) -> None:
    """Fit the purchase model and the Gamma-Gamma spend model; print parameters and fit statistics.

    \b
    Examples:
      clv fit -t tx.csv --json > fit.json
      clv fit -t tx.csv --transaction-model paretonbd --observation-end 2025-06-30
    """
    say = _Progress(quiet)
    rfm, tm, sm = _fit_pooled("fit", transactions, observation_end, time_unit, model_kind, transaction_model, say)
    if save:
        tm.save(save)
    payload = {"customers": len(rfm), "observation_end": rfm.attrs["observation_end"], "time_unit": time_unit,
               "rfm_exclusions": rfm.attrs["exclusions"], "transaction_model": _model_json(tm), "spend_model": _model_json(sm)}
    if as_json:
        click.echo(json.dumps(payload, indent=2))
        return
    for m in (tm, sm):
        click.echo(m.summary().to_string())
        click.echo(f"log-likelihood {m.log_likelihood_:.2f}\n")


@main.command()
@_common
@click.option("--out", "-o", required=True, type=click.Path(dir_okay=False), help="CSV file of per-customer scores.")
@_valuation_options
@click.option("--interval", type=float, default=None, help="Add clv_lower/clv_upper at this level, e.g. 0.9.")
@_guarded
def score(transactions: str, observation_end: str | None, time_unit: str, model_kind: str, transaction_model: str,
          seed: int, quiet: bool, out: str, horizon: float, discount_rate: float, margin: float, interval: float | None) -> None:
    """Score every customer: P(alive), expected purchases and spend, discounted CLV.

    \b
    Examples:
      clv score -t tx.csv --out scores.csv
      clv score -t tx.csv --out scores.csv --horizon 26 --interval 0.9 --seed 3
    """
    say = _Progress(quiet)
    rfm, tm, sm = _fit_pooled("score", transactions, observation_end, time_unit, model_kind, transaction_model, say)
    say("scoring")
    scores = clv.customer_value(tm, sm, rfm, horizon=horizon, discount_rate=discount_rate, margin=margin,
                                time_unit=time_unit, interval=interval, seed=seed)
    _write_csv_atomic(rfm.join(scores), Path(out))
    say(f"wrote {len(scores):,} rows to {out}")


if __name__ == "__main__":  # pragma: no cover
    main()

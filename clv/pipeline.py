"""The channel report pipeline as one library call: read, fit, score, report, write.

:func:`run_report` is what ``clv report`` and ``clv demo`` run, and what a
notebook calls to get the same report directory: it reads the three input
files, fits the channel models (maximum likelihood, the hierarchical Bayesian
model, or on Spark), scores every customer with its channel's models, builds
the :class:`clv.ChannelReport`, places customers in lifecycle stages and
writes the report atomically. The CLI only parses arguments into a
:class:`ReportConfig` and turns errors into exit codes.

:func:`fit_pooled` is the pooled fit behind ``clv fit`` and ``clv score``:
one purchase model and one spend model on every customer, by maximum
likelihood (pandas or DuckDB) or as Bayesian posteriors.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, NamedTuple

import pandas as pd

from clv.channels import PosteriorChannelModels, channel_report, fit_channel_models
from clv.data import read_acquisitions, read_channel_spend, read_transactions, rfm_summary
from clv.data.sql import check_source, read_table, source_label
from clv.data.validation import table_columns
from clv.errors import DataError
from clv.model_set import POOLED
from clv.models import GammaGamma, transaction_model_class
from clv.valuation import DEFAULT_MARGIN

__all__ = ["UNATTRIBUTED", "PooledFit", "ReportConfig", "channel_of", "fit_pooled", "read_rfm", "run_report"]

UNATTRIBUTED = "(no acquisition record)"
"""Group of scored customers without an acquisition record (valued with the pooled model)."""

Progress = Callable[[str], None]

DUCKDB_MEMORY_LIMIT: str | None = os.environ.get("CLV_DUCKDB_MEMORY_LIMIT") or None
"""DuckDB's own memory cap under ``--engine duckdb`` (e.g. ``"3GB"``; default the ``CLV_DUCKDB_MEMORY_LIMIT`` environment
variable, else DuckDB's 80% of RAM). Beyond it DuckDB spills to a temporary directory (the summary's day merge and sort
do: 100M rows fit a 1.5 GB cap)."""


def _silent(message: str) -> None:
    """Progress sink that drops every message."""


@dataclass
class ReportConfig:
    """Everything :func:`run_report` needs: input files, valuation settings, model and output.

    The defaults are those of ``clv report``. ``transaction_columns``,
    ``acquisition_columns`` and ``spend_columns`` are keyword arguments of
    :func:`clv.read_transactions`, :func:`clv.read_acquisitions` and
    :func:`clv.read_channel_spend` (column names, ``date_format``); the
    report needs amounts. A table given as a SQL query (``transactions_sql``,
    ``acquisitions_sql``, ``spend_sql``, run on ``database_url`` through
    SQLAlchemy) replaces its file, which is then ``None``. ``covariates`` is a per-customer table
    (:func:`clv.read_covariates`, id column ``covariates_customer_column``) whose columns named in
    ``purchase_covariates``, ``dropout_covariates`` and ``spend_covariates`` enter every channel fit
    (:func:`clv.fit_channel_models`); every customer of the transactions needs a row (others are refused,
    counted in the message), rows of customers without transactions are counted and not used. ``watchlist_size`` is the length of
    ``watchlist.csv``; ``backtest_holdout`` the backtest's holdout in time
    units (default: the last quarter of the span, at least 13 weeks; see
    :func:`clv.operations.default_holdout`). ``progress`` receives one short
    text per step (the CLI prints them to stderr; the library never prints);
    ``sampler_progress`` shows the Bayesian sampler's own progress bar.
    ``model_sensitivity`` also fits the other purchase model family per channel
    (Pareto/NBD for BG/NBD and MBG/NBD, BG/NBD for Pareto/NBD; maximum
    likelihood, pandas engine) for the ``ltv_new_other_model`` columns.
    ``horizon=None`` values over the whole lifetime (``--horizon lifetime``;
    pandas engine only). ``chunk_size`` is the number of customers per slice
    when the DuckDB engine scores and segments the base slice by slice;
    ``duckdb_memory_limit`` caps DuckDB's own memory (e.g. ``"4GB"``; it
    spills sorts and joins to a temporary directory beyond it).
    """

    transactions: str | None
    acquisitions: str | None
    out: str
    spend: str | None = None
    horizon: float | None = 52.0
    time_unit: str = "W"
    discount_rate: float = 0.1
    margin: float = DEFAULT_MARGIN
    model_kind: str = "mle"
    transaction_model: str = "bgnbd"
    seed: int = 1
    observation_end: str | None = None
    n_draws: int = 100
    currency: str = ""
    title: str = "Customer lifetime value by acquisition channel"
    bayes_draws: int = 500
    chains: int = 2
    engine: str = "pandas"
    spark_master: str = "local[*]"
    watchlist_size: int = 200
    backtest_holdout: float | None = None
    transaction_columns: dict[str, Any] = field(default_factory=dict)
    acquisition_columns: dict[str, Any] = field(default_factory=dict)
    spend_columns: dict[str, Any] = field(default_factory=dict)
    progress: Progress = _silent
    sampler_progress: bool = False
    transactions_sql: str | None = None
    acquisitions_sql: str | None = None
    spend_sql: str | None = None
    database_url: str | None = None
    model_sensitivity: bool = False
    covariates: str | None = None
    purchase_covariates: list[str] = field(default_factory=list)
    dropout_covariates: list[str] = field(default_factory=list)
    spend_covariates: list[str] = field(default_factory=list)
    covariates_customer_column: str = "customer_id"
    chunk_size: int = 250_000
    duckdb_memory_limit: str | None = DUCKDB_MEMORY_LIMIT

    def covariate_groups(self) -> dict[str, list[str]]:
        """``{"purchase": [...], "dropout": [...], "spend": [...]}`` of the covariate columns named (empty groups left out)."""
        named = {"purchase": self.purchase_covariates, "dropout": self.dropout_covariates, "spend": self.spend_covariates}
        return {k: list(v) for k, v in named.items() if v}


def read_rfm(transactions: str | None, observation_end: str | None, time_unit: str, progress: Progress = _silent,
             columns: Mapping[str, Any] | None = None, *, query: str | None = None, url: str | None = None) -> tuple[Any, Any]:
    """Read a transaction file or the rows of ``query`` on ``url`` (``columns``: keyword arguments of
    :func:`clv.read_transactions`) and summarise it: ``(transactions, rfm)``."""
    progress(f"reading {source_label(transactions, query, url)}")
    tx = read_table(transactions, query, url, lambda source: read_transactions(source, **dict(columns or {})))
    rfm = rfm_summary(tx, observation_end=observation_end, time_unit=time_unit)
    progress(f"{len(tx):,} transactions, {len(rfm):,} customers, observation end {rfm.attrs['observation_end']}")
    return tx, rfm


class PooledFit(NamedTuple):
    """What :func:`fit_pooled` returns: the summary and the two fitted models (unpacks as a tuple)."""

    rfm: Any
    """The RFM summary: a DataFrame, or a :class:`clv.duckdb.DuckRFM` with ``engine="duckdb"``."""
    transaction_model: Any
    """The purchase model (MLE) or the BG/NBD posterior (``model_kind="bayes"``)."""
    spend_model: Any
    """Gamma-Gamma (MLE or posterior), or ``None`` for a log without amounts (MLE only)."""


def fit_pooled(transactions: str | None, *, observation_end: str | None = None, time_unit: str = "W", model_kind: str = "mle",
               transaction_model: str = "bgnbd", engine: str = "pandas", columns: Mapping[str, Any] | None = None,
               query: str | None = None, url: str | None = None, seed: int = 1, bayes_draws: int = 500, chains: int = 2,
               progress: Progress = _silent, covariates: Mapping[str, Any] | None = None) -> PooledFit:
    """Read a transaction log and fit one purchase model and one spend model on every customer (what ``clv fit`` and ``clv score`` do).

    Parameters
    ----------
    transactions : str or None
        Transaction file (CSV or Parquet; a directory or glob with
        ``engine="duckdb"``), or ``None`` when ``query`` gives the rows.
    observation_end : str, optional
        Last observed day (default: the last transaction day).
    time_unit : {"W", "D", "M"}
        Time unit of the summary and the models.
    model_kind : {"mle", "bayes"}
        Maximum likelihood, or the Bayesian BG/NBD and Gamma-Gamma
        (:func:`clv.bayes.fit_pair`; pandas engine and files only).
    transaction_model : str
        Registry name of the purchase model (:data:`clv.models.TRANSACTION_MODELS`).
    engine : {"pandas", "duckdb"}
        Summarise and fit in memory, or in DuckDB (the fits then see the
        distinct tuples with their counts).
    columns : mapping, optional
        Keyword arguments of :func:`clv.read_transactions` (``customer``,
        ``date``, ``amount``, ``date_format``). Without ``amount``, a file
        that has no ``amount`` column is read as purchase-only and no spend
        model is fitted (maximum likelihood only).
    query, url : str, optional
        A SQL query and the SQLAlchemy URL it runs on, instead of ``transactions``.
    seed, bayes_draws, chains : int
        Sampler seed, tuning steps and kept draws per chain, and chains (``model_kind="bayes"``).
    progress : callable, optional
        Receives one short text per step.
    covariates : mapping, optional
        The covariate options of ``clv fit``: ``covariates`` (the file, see
        :func:`with_covariate_file`), ``covariates_customer_column`` and
        ``purchase_covariates``, ``dropout_covariates``, ``spend_covariates``
        (lists of its columns); maximum likelihood on pandas only.

    Returns
    -------
    PooledFit
        ``(rfm, transaction_model, spend_model)``.

    Examples
    --------
    >>> import pathlib, tempfile, clv
    >>> sim = clv.simulate(300, seed=2, start="2024-01-01", end="2024-12-31")
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "tx.csv"
    >>> sim.transactions.to_csv(path, index=False)
    >>> rfm, tm, sm = clv.fit_pooled(str(path))
    >>> type(tm).__name__, type(sm).__name__, len(rfm) <= 300
    ('BetaGeo', 'GammaGamma', True)
    >>> clv.fit_pooled(str(path), transaction_model="paretonbd", columns={"amount": None}).transaction_model
    ParetoNBD(...)
    """
    check_source(transactions, query, "transactions", "-t")
    columns = dict(columns or {})
    covariates = dict(covariates or {})
    groups = {k: list(covariates.get(f"{k}_covariates") or []) for k in ("purchase", "dropout", "spend")}
    if any(groups.values()) != bool(covariates.get("covariates")):
        raise DataError("--covariates FILE and --purchase-covariates/--dropout-covariates/--spend-covariates go together")
    if covariates.get("covariates") and (model_kind != "mle" or engine != "pandas"):
        raise DataError("--covariates works with --engine pandas and --model mle only for now")
    if model_kind == "bayes":
        return _fit_posterior(transactions, observation_end, time_unit, transaction_model, progress, engine=engine, query=query,
                              seed=seed, bayes_draws=bayes_draws, chains=chains, columns=columns)
    cls = transaction_model_class(transaction_model)
    if engine == "duckdb":
        return _duck_pooled(cls, transactions, query, url, observation_end, time_unit, progress, columns)
    read = _pooled_columns(transactions, query, columns)
    _, rfm = read_rfm(transactions, observation_end, time_unit, progress, columns=read, query=query, url=url)
    if covariates.get("covariates"):
        rfm = with_covariate_file(rfm, covariates["covariates"], groups, progress=progress,
                                  customer=covariates.get("covariates_customer_column") or "customer_id")
    t_args = {f"{k}_covariates": groups[k] for k in ("purchase", "dropout") if groups[k]}
    if read["amount"] is None:
        return PooledFit(rfm, cls(**t_args).fit(rfm), None)
    progress(f"fitting {cls.__name__} and GammaGamma")
    return PooledFit(rfm, cls(**t_args).fit(rfm), GammaGamma(spend_covariates=groups["spend"]).fit(rfm))


def _pooled_columns(transactions: str | None, query: str | None, columns: Mapping[str, Any]) -> dict[str, Any]:
    """Reader arguments of the pooled fit: a file without an ``amount`` column (none named) is read as purchase-only."""
    amount = columns.get("amount")
    if amount is None and query is None:
        amount = "amount" if "amount" in table_columns(transactions, "transactions") else None
    elif amount is None:
        amount = "amount"
    return {"customer": columns.get("customer", "customer_id"), "date": columns.get("date", "date"), "amount": amount,
            "date_format": columns.get("date_format")}


def _duck_pooled(cls: type, transactions: str | None, query: str | None, url: str | None, observation_end: str | None,
                 time_unit: str, progress: Progress, columns: Mapping[str, Any]) -> PooledFit:
    """The DuckDB summary and the fits from its distinct tuples."""
    from clv import duckdb as duck

    if columns.get("date_format") is not None:
        raise DataError("--date-format is not supported with --engine duckdb (it reads typed or ISO dates); use --engine pandas")
    con = duck.connect(memory_limit=DUCKDB_MEMORY_LIMIT, temp_directory="auto")
    source = duck.source_of(con, transactions, query, url, progress)
    amount = columns.get("amount") or ("amount" if "amount" in duck.source_columns(con, source) else None)  # None: purchase-only
    progress(f"summarising {source_label(transactions, query, url)} in DuckDB")
    drfm = duck.rfm_summary(source, observation_end=observation_end, time_unit=time_unit, con=con,
                            customer=columns.get("customer", "customer_id"), date=columns.get("date", "date"), amount=amount)
    progress(f"{drfm.customers:,} customers, observation end {drfm.observation_end}; exclusions {drfm.exclusions}")
    if amount is None:
        return PooledFit(drfm, duck.fit(cls(), drfm), None)
    progress(f"fitting {cls.__name__} and GammaGamma on the distinct (x, t_x, T) tuples")
    return PooledFit(drfm, duck.fit(cls(), drfm), duck.fit(GammaGamma(), drfm))


def _fit_posterior(transactions: str | None, observation_end: str | None, time_unit: str, transaction_model: str,
                   progress: Progress, *, engine: str, query: str | None, seed: int, bayes_draws: int, chains: int,
                   columns: Mapping[str, Any]) -> PooledFit:
    """``model_kind="bayes"``: the BG/NBD and Gamma-Gamma posteriors on every customer (pandas engine, files)."""
    if transaction_model != "bgnbd":
        raise DataError(f"--model bayes fits the BG/NBD only; drop --transaction-model {transaction_model}")
    if bayes_draws < 50 or chains < 1:
        raise DataError(f"--bayes-draws must be at least 50 and --chains at least 1 (got {bayes_draws}, {chains})")
    if engine != "pandas" or query is not None:
        raise DataError("--model bayes reads files with the pandas engine; drop --engine/--transactions-sql")
    read = _pooled_columns(transactions, None, columns)
    _, rfm = read_rfm(transactions, observation_end, time_unit, progress, columns=read)
    if read["amount"] is None:
        raise DataError(f"--model bayes needs amounts: no 'amount' column in {transactions} (name one with --amount-column)")
    from clv import bayes

    progress(f"sampling the Bayesian BG/NBD and Gamma-Gamma ({chains} chains x ({bayes_draws} tuning + {bayes_draws} draws))")
    return PooledFit(rfm, *bayes.fit_pair(rfm, draws=bayes_draws, tune=bayes_draws, chains=chains, seed=seed))


def channel_of(rfm: pd.DataFrame, acquisitions: pd.DataFrame) -> pd.Series:
    """Channel of every scored customer; customers missing from the acquisitions get the group :data:`UNATTRIBUTED`."""
    return acquisitions.set_index("customer_id")["channel"].reindex(rfm.index).fillna(UNATTRIBUTED)


def _bayes_models(rfm: Any, acquisitions: Any, config: ReportConfig) -> PosteriorChannelModels:
    """Fit the grouped Bayesian models, or explain why they cannot be used."""
    draws, chains, say = config.bayes_draws, config.chains, config.progress
    if draws < 50 or chains < 1:
        raise DataError(f"--bayes-draws must be at least 50 and --chains at least 1 (got {draws}, {chains})")
    try:
        from clv import bayes
    except ImportError:
        bayes = None
    needed = ("HierarchicalBetaGeo", "HierarchicalGammaGamma")
    if bayes is None or not all(hasattr(bayes, n) for n in needed):
        raise DataError("--model bayes needs clv.bayes.HierarchicalBetaGeo/HierarchicalGammaGamma, "
                        "which this installation does not provide yet; use --model mle")
    grouped = rfm.assign(channel=channel_of(rfm, acquisitions))
    unattributed = (grouped["channel"] == UNATTRIBUTED).to_numpy()
    if unattributed.all():
        raise DataError("--model bayes: no customer of the transaction log has an acquisition record, so there are no channels to pool")
    if unattributed.any():
        say(f"{int(unattributed.sum()):,} customers without an acquisition record: valued with the population level of the posterior")
        grouped = grouped[~unattributed]
    say(f"sampling the hierarchical BG/NBD ({chains} chains x {draws} draws; this takes minutes)")
    bar = config.sampler_progress
    cov = config.covariate_groups()
    t_args = {f"{k}_covariates": cov[k] for k in ("purchase", "dropout") if k in cov}
    tm = bayes.HierarchicalBetaGeo(group="channel", progressbar=bar, **t_args).fit(grouped, draws=draws, tune=draws, chains=chains,
                                                                                   random_seed=config.seed)
    say("sampling the hierarchical Gamma-Gamma")
    sm = bayes.HierarchicalGammaGamma(group="channel", progressbar=bar, spend_covariates=cov.get("spend")).fit(
        grouped, draws=draws, tune=draws, chains=chains, random_seed=config.seed)
    models = PosteriorChannelModels(tm, sm)
    if cov:  # new customers of a channel are valued at its typical profile, as with the MLE models
        from clv.data.covariates import typical_profile

        columns = list(dict.fromkeys(c for cols in cov.values() for c in cols))
        models.profiles = {POOLED: typical_profile(rfm, columns),
                           **{str(name): typical_profile(part, columns) for name, part in grouped.groupby("channel")}}
    return models


def _spark_inputs(acquisitions: Any, config: ReportConfig) -> tuple[Any, Any, Any, Any]:
    """Summary, per-channel fits and scores computed on Spark (clv.spark.report_inputs)."""
    if config.model_kind == "bayes":
        raise DataError("--engine spark supports --model mle only")
    if config.transaction_columns.get("date_format") is not None:
        raise DataError("--date-format is not supported with --engine spark (Spark reads typed dates); use --engine pandas")
    try:
        from pyspark.errors import PySparkException

        import clv.spark
    except ImportError:
        raise DataError('--engine spark needs PySpark: pip install "clv[spark]"') from None
    config.progress(f"starting Spark ({config.spark_master}) and summarising {config.transactions} there")
    try:
        inputs = clv.spark.report_inputs(
            config.transactions, acquisitions, master=config.spark_master, progress=config.progress,
            observation_end=config.observation_end, time_unit=config.time_unit, horizon=config.horizon,
            discount_rate=config.discount_rate, margin=config.margin, transaction_model=config.transaction_model,
            **{k: v for k, v in config.transaction_columns.items() if k in ("customer", "date", "amount")},
        )
    except ImportError as exc:
        raise DataError(str(exc)) from None
    except PySparkException as exc:
        raise DataError(f"Spark failed: {str(exc).strip().splitlines()[0]}") from None
    return None, inputs.rfm, inputs.models, inputs.scores


def _duckdb_inputs(acquisitions: Any, config: ReportConfig) -> tuple[Any, Any, Any, Any, Any]:
    """Summary, per-channel fits and scores computed in DuckDB (clv.duckdb.report_inputs)."""
    if config.model_kind == "bayes":
        raise DataError("--engine duckdb supports --model mle only")
    from clv import duckdb as duck
    from clv.duckdb.acquisitions import read_acquisitions_or_frame

    if config.transaction_columns.get("date_format") is not None:
        raise DataError("--date-format is not supported with --engine duckdb (it reads typed or ISO dates); use --engine pandas")
    con = duck.connect(memory_limit=config.duckdb_memory_limit, temp_directory="auto")
    if acquisitions is None:  # validated in DuckDB, on the engine's connection: never a pandas frame of every customer
        acquisitions = read_acquisitions_or_frame(config.acquisitions, con=con, columns=config.acquisition_columns, progress=config.progress)
    source = duck.source_of(con, config.transactions, config.transactions_sql, config.database_url, config.progress)
    inputs = duck.report_inputs(
        source, acquisitions, con=con, progress=config.progress, observation_end=config.observation_end,
        time_unit=config.time_unit, horizon=config.horizon, discount_rate=config.discount_rate, margin=config.margin,
        transaction_model=config.transaction_model, chunk_size=config.chunk_size, collect=False,
        **{k: v for k, v in config.transaction_columns.items() if k in ("customer", "date", "amount")},
    )
    return None, None, inputs.models, None, inputs


def _duck_reads_acquisitions(config: ReportConfig) -> bool:
    """Whether ``clv report --engine duckdb`` reads the acquisitions in DuckDB (a file or directory, no ``date_format``)."""
    return (config.engine == "duckdb" and config.acquisitions_sql is None and config.model_kind == "mle"
            and config.acquisition_columns.get("date_format") is None)


def run_report(config: ReportConfig | Mapping[str, Any]) -> Path:
    """Read the inputs, fit the channel models, score, build the channel report and write it to ``config.out``.

    Parameters
    ----------
    config : ReportConfig or dict
        Input files, settings and output directory (a dict is passed to
        :class:`ReportConfig`).

    Returns
    -------
    pathlib.Path
        The report directory (``index.html``, ``summary.md``, ``summary.json``
        and the CSV tables), written atomically.

    Examples
    --------
    >>> import pathlib, tempfile, clv
    >>> channels = {"email": {"share": 0.6},
    ...             "search": {"share": 0.4, "params": {"r": 0.2, "alpha": 6.0, "a": 0.9, "b": 2.0}}}
    >>> sim = clv.simulate(1000, seed=3, start="2024-01-01", end="2025-01-01", channels=channels)
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> sim.transactions.to_csv(folder / "tx.csv", index=False)
    >>> sim.acquisitions.to_csv(folder / "acq.csv", index=False)
    >>> out = clv.run_report({"transactions": str(folder / "tx.csv"), "acquisitions": str(folder / "acq.csv"),
    ...                       "out": str(folder / "report"), "n_draws": 20})
    >>> [name for name in sorted(p.name for p in out.iterdir()) if name.startswith("c")]
    ['channels.csv', 'cohorts.csv', 'customers.csv']
    """
    if not isinstance(config, ReportConfig):
        unknown = set(config) - {f.name for f in fields(ReportConfig)}
        if unknown:
            raise DataError(f"run_report: unknown setting {sorted(unknown)[0]!r}")
        config = ReportConfig(**config)
    from clv.reports import default_sections, write_report
    from clv.reports.lifecycle_section import lifecycle_extra, with_lifecycle
    from clv.reports.operations_sections import with_operations
    from clv.reports.uncertainty_section import with_uncertainty

    say = config.progress
    check_source(config.transactions, config.transactions_sql, "transactions", "-t")
    check_source(config.acquisitions, config.acquisitions_sql, "acquisitions", "-a")
    if config.spend and config.spend_sql:
        raise DataError("give the spend as a file (-s) or as a query (--spend-sql), not both")
    url = config.database_url
    acq = None if _duck_reads_acquisitions(config) else read_table(
        config.acquisitions, config.acquisitions_sql, url, lambda source: read_acquisitions(source, **config.acquisition_columns))
    has_spend = bool(config.spend or config.spend_sql)
    sp = read_table(config.spend, config.spend_sql, url,
                    lambda source: read_channel_spend(source, **config.spend_columns)) if has_spend else None
    if acq is not None:
        say(f"{len(acq):,} acquisitions in {acq['channel'].nunique()} channels" + (f"; {len(sp):,} spend rows" if sp is not None else ""))
    _check_covariate_settings(config)
    tx, rfm, models, scores, engine_inputs = _fit_and_score(acq, config)
    log = _duckdb_log(config) if tx is None and config.engine == "duckdb" else tx  # small logs: every section, as pandas
    settings = {"horizon": config.horizon, "discount_rate": config.discount_rate, "margin": config.margin, "time_unit": config.time_unit,
                "n_draws": config.n_draws, "seed": config.seed, "progress": say}
    if engine_inputs is not None:  # DuckDB: the customer base stays in the engine (clv.duckdb.channel_report)
        from clv.duckdb import channel_report as engine_channel_report

        acq, rfm = engine_inputs.acquisitions, engine_inputs.duck_rfm
        say("building the channel report in DuckDB")
        report = engine_channel_report(engine_inputs, spend=sp, **settings)
    else:
        report = channel_report(scores, acq, spend=sp, transactions=tx, rfm=rfm, models=models, **settings,
                                other_models=_other_models(rfm, acq, config))
    report.settings["observation_end_rule"] = (
        "given" if config.observation_end else "the last transaction day, the default of clv report and clv demo")
    say("placing customers in lifecycle stages")
    if engine_inputs is not None:  # DuckDB: slice by slice, never a table of every customer
        from clv.duckdb import lifecycle_extra as engine_lifecycle

        extra = engine_lifecycle(engine_inputs, top=config.watchlist_size, seed=config.seed, transactions=log,
                                 chunk_size=config.chunk_size)
    else:
        extra = lifecycle_extra(scores, rfm, models, acq.set_index("customer_id")["channel"], seed=config.seed,
                                top=config.watchlist_size, transactions=log)
    extra.update(_operations(log, acq if log is None or isinstance(acq, pd.DataFrame) else acq.to_pandas(), models, rfm, config))
    sections = with_operations(with_lifecycle(with_uncertainty(default_sections())))
    if config.covariates:
        from clv.reports.covariates_section import covariates_extra, with_covariates

        extra.update(covariates_extra(models, rfm, level=report.settings["interval"], counts=rfm.attrs.get("covariates")))
        sections = with_covariates(sections)
    if config.model_kind == "bayes" and config.engine != "spark":
        from clv.reports.sampler_section import sampler_extra, with_sampler

        extra.update(sampler_extra(models))
        sections = with_sampler(sections)
    say(f"writing the report to {config.out}")
    inputs = {"transactions file": source_label(config.transactions, config.transactions_sql, url),
              **({"covariates file": str(config.covariates)} if config.covariates else {}),
              "acquisitions file": source_label(config.acquisitions, config.acquisitions_sql, url),
              "spend file": source_label(config.spend, config.spend_sql, url) if has_spend else "none"}
    out = write_report(report, config.out, currency=config.currency, inputs=inputs, title=config.title,
                       sections=sections, extra=extra)
    say(f"done: {Path(config.out) / 'index.html'}")
    return out


_OTHER_FAMILY = {"bgnbd": "paretonbd", "mbgnbd": "paretonbd", "paretonbd": "bgnbd"}


def _other_models(rfm: Any, acq: pd.DataFrame, config: ReportConfig) -> Any:
    """The channel models of the other purchase model family, for the sensitivity columns (None unless asked and possible)."""
    if not config.model_sensitivity or config.model_kind != "mle" or config.engine != "pandas":
        return None
    other = _OTHER_FAMILY[config.transaction_model]
    config.progress(f"model sensitivity: fitting {other} per channel")
    return fit_channel_models(rfm, acq, transaction_model=other, progress=config.progress)


def _operations(tx: Any, acq: pd.DataFrame, models: Any, rfm: pd.DataFrame, config: ReportConfig) -> dict[str, Any]:
    """Retention by cohort and the backtest (:func:`clv.operations.operations_extra`); a note instead when the engine keeps the log."""
    from clv.operations import operations_extra

    if tx is None:
        note = _engine_note(config.engine)
        return {"retention": None, "retention_note": note, "backtest": None, "backtest_note": note}
    tms = models.point_transaction_models(seed=config.seed)
    if config.covariates:  # cohorts and the backtest's refit see no covariates: each channel's typical profile stands in
        point = models.point() or {name: (tm, None) for name, tm in tms.items()}  # a posterior: its mean per channel
        tms = {name: models.new_customer_pair(name, point)[0] for name in dict.fromkeys([*models.names, *acq["channel"].unique()])}
    return operations_extra(tx, acq, tms, observation_end=rfm.attrs["observation_end"], time_unit=config.time_unit,
                            holdout=config.backtest_holdout, progress=config.progress)


def _engine_note(engine: str) -> str:
    """Why retention and the backtest are missing from an engine's report."""
    if engine == "duckdb":
        from clv.duckdb import MAX_COLLECTED_ROWS

        return (f"not computed with --engine duckdb for a log of more than {MAX_COLLECTED_ROWS:,} rows: retention by cohort "
                "and the backtest's refit read every purchase in memory, which the engine avoids; run them on a sample "
                "or with --engine pandas")
    return f"not available with --engine {engine} (the transaction log stays in the engine)"


def _duckdb_log(config: ReportConfig) -> pd.DataFrame | None:
    """The log read back from DuckDB for retention, the backtest and the watchlist's purchase history when small enough (else ``None``)."""
    from clv import duckdb as duck

    con = duck.connect()
    source = duck.source_of(con, config.transactions, config.transactions_sql, config.database_url)
    columns = {k: v for k, v in config.transaction_columns.items() if k in ("customer", "date", "amount")}
    log = duck.collect_transactions(source, con=con, **columns)
    config.progress("read the log back from DuckDB for retention, the backtest and purchase histories" if log is not None
                    else f"log over {duck.MAX_COLLECTED_ROWS:,} rows: retention, the backtest and purchase histories left out")
    return log


def _fit_and_score(acq: pd.DataFrame | None, config: ReportConfig) -> tuple[Any, Any, Any, Any, Any]:
    """``(transactions, rfm, channel models, scores, engine inputs)`` on the chosen engine and model (engine inputs: DuckDB's, else None)."""
    if config.transaction_columns.get("amount", "amount") is None:
        raise DataError("the report values customers, and lifetime value needs purchase amounts: name the amount column "
                        "(--amount-column); clv fit and clv score also work without amounts")
    if config.horizon is None and config.engine != "pandas":
        raise DataError(f"--horizon lifetime works with --engine pandas only (not {config.engine}); give a number of time units")
    if config.engine == "spark":
        if config.transactions_sql is not None:
            raise DataError("--transactions-sql works with --engine pandas or duckdb; Spark reads its own sources")
        return (*_spark_inputs(acq, config), None)
    if config.engine == "duckdb":
        return _duckdb_inputs(acq, config)
    tx, rfm = read_rfm(config.transactions, config.observation_end, config.time_unit, config.progress,
                       columns=config.transaction_columns, query=config.transactions_sql, url=config.database_url)
    if config.covariates:
        rfm = _with_covariates(rfm, config)
    if config.model_kind == "bayes":
        models = _bayes_models(rfm, acq, config)
    else:
        models = fit_channel_models(rfm, acq, transaction_model=config.transaction_model, progress=config.progress,
                                    covariates=config.covariate_groups())
    config.progress("scoring customers with their channel's model")
    scores = models.score(rfm, channel_of(rfm, acq), horizon=config.horizon, discount_rate=config.discount_rate,
                          margin=config.margin, time_unit=config.time_unit, n_draws=config.n_draws, seed=config.seed)
    return tx, rfm, models, scores, None


def _check_covariate_settings(config: ReportConfig) -> None:
    """Covariate columns without a covariate file (or the reverse), or with an engine or model that does not take them yet."""
    named = config.covariate_groups()
    if named and not config.covariates:
        raise DataError("--purchase-covariates/--dropout-covariates/--spend-covariates name columns of a covariate file: "
                        "give it with --covariates customers.csv")
    if config.covariates and not named:
        raise DataError("--covariates: name the columns to use with --purchase-covariates, --dropout-covariates or --spend-covariates")
    if config.covariates and config.engine != "pandas":
        raise DataError("--covariates works with --engine pandas only for now")


def _with_covariates(rfm: pd.DataFrame, config: ReportConfig) -> pd.DataFrame:
    return with_covariate_file(rfm, config.covariates, config.covariate_groups(), customer=config.covariates_customer_column,
                               progress=config.progress)


def with_covariate_file(rfm: pd.DataFrame, path: Any, groups: Mapping[str, list[str]], *, customer: str = "customer_id",
                        progress: Progress = _silent) -> pd.DataFrame:
    """``rfm`` with the covariate columns of ``groups`` read from ``path`` and joined (``clv report`` and ``clv fit``).

    Customers of ``rfm`` without a covariate row are refused (a
    :class:`clv.DataError` counting them); rows of customers without
    transactions are counted in ``attrs["covariates"]`` and not used.
    """
    from clv.data.covariates import attach_covariates, read_covariates

    columns = list(dict.fromkeys(c for cols in groups.values() for c in cols))
    progress(f"reading covariates {', '.join(columns)} from {path}")
    table = read_covariates(path, customer=customer, columns=columns)
    out = attach_covariates(rfm, table)
    extra = int((~table.index.isin(rfm.index)).sum())
    out.attrs = {**rfm.attrs, "covariates": {"customers": len(out), "rows_without_transactions": extra}}
    if extra:
        progress(f"{extra:,} covariate rows of customers without transactions: not used")
    return out

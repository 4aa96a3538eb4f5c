"""Scoring a customer base in parallel: :func:`clv.customer_value` inside each Spark partition.

Models cross to the executors as their JSON description (``model.to_dict()``
serialised to a string) and are rebuilt there by :func:`model_from_json`;
nothing is pickled but the small function that calls ``customer_value``.
Each Arrow batch of customers is valued exactly as the pandas path values the
whole frame (every output is a per-customer function of that customer's row),
so the numbers agree with :func:`clv.customer_value` on the collected frame.
"""

from __future__ import annotations

import json
from typing import Any, Sequence

import pandas as pd

from clv import models
from clv.engine_fit import value_chunk
from clv.errors import DataError
from clv.spark.session import types
from clv.spark.summary import RFM_COLUMNS, SparkRFM

__all__ = ["model_from_json", "score"]


def model_from_json(text: str) -> Any:
    """Rebuild a fitted maximum-likelihood model from ``json.dumps(model.to_dict())``.

    The same checks and construction as :func:`clv.load_model`, from a string
    instead of a file.

    Parameters
    ----------
    text : str
        ``json.dumps(model.to_dict())`` of a fitted :class:`clv.BetaGeo`,
        :class:`clv.ModifiedBetaGeo`, :class:`clv.ParetoNBD` or
        :class:`clv.GammaGamma`.

    Returns
    -------
    BetaGeo, ModifiedBetaGeo, ParetoNBD or GammaGamma

    Raises
    ------
    clv.DataError
        Not JSON, or not a ``clv`` model description of this format.

    Examples
    --------
    No Spark needed:

    >>> import json, clv, clv.spark
    >>> bg = clv.BetaGeo.from_params({"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
    >>> clv.spark.model_from_json(json.dumps(bg.to_dict()))
    BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426)
    """
    try:
        data = json.loads(text)
    except (TypeError, json.JSONDecodeError) as exc:
        raise DataError(f"not a clv model description: {exc}") from None
    cls = getattr(models, str(data.get("model")), None) if isinstance(data, dict) else None
    if not (isinstance(cls, type) and issubclass(cls, models.MLEModel)) or data.get("clv_format") != models.FORMAT_VERSION:
        raise DataError(f"not a clv model description (format {models.FORMAT_VERSION})")
    return cls._from_dict(data)


def _rfm_frame(rfm: Any, time_unit: str | None) -> tuple[Any, str]:
    if isinstance(rfm, SparkRFM):
        if time_unit is not None and time_unit != rfm.time_unit:
            raise DataError(f"time_unit {time_unit!r} differs from the summary's {rfm.time_unit!r}")
        return rfm.df, rfm.time_unit
    return rfm, time_unit or "W"


def _map_scores(frame: Any, pairs: dict[str, tuple[Any, Any]], settings: dict[str, Any], keep: Sequence[str]) -> Any:
    """Run :func:`_value` over every Arrow batch of ``frame``; models cross as JSON strings."""
    T = types()
    needed = ["customer_id", *RFM_COLUMNS]
    extra = [c for c in keep if c not in needed]
    missing = [c for c in needed + extra if c not in frame.columns]
    if missing:
        raise DataError(f"column '{missing[0]}': missing from the RFM frame; columns found: {frame.columns}")
    texts = {name: (json.dumps(tm.to_dict(), allow_nan=True), json.dumps(sm.to_dict(), allow_nan=True))
             for name, (tm, sm) in pairs.items()}

    # Validate settings and models on the driver with one customer, and learn the output columns.
    probe = pd.DataFrame({"customer_id": [0], "frequency": [0.0], "recency": [0.0], "T": [1.0], "monetary_value": [0.0]})
    rebuilt = {name: (model_from_json(a), model_from_json(b)) for name, (a, b) in texts.items()}
    columns = [c for c in value_chunk(probe, rebuilt, settings, ()).columns if c != "customer_id"]
    schema = T.StructType(
        [frame.schema["customer_id"]]
        + [T.StructField(c, T.DoubleType()) for c in columns]
        + [frame.schema[c] for c in extra]
    )
    grouped = "_group" in frame.columns
    keep_cols = tuple(extra)

    def value_partition(batches: Any) -> Any:
        models = {name: (model_from_json(a), model_from_json(b)) for name, (a, b) in texts.items()}
        for pdf in batches:
            if len(pdf):
                yield value_chunk(pdf, models, settings, keep_cols)

    inputs = needed + extra + (["_group"] if grouped else [])
    return frame.select(*inputs).mapInPandas(value_partition, schema)


def score(
    rfm: Any,
    transactions_model: Any,
    spend_model: Any,
    *,
    horizon: float,
    discount_rate: float,
    margin: float = 1.0,
    time_unit: str | None = None,
    period: float = 1.0,
    interval: float | None = None,
    n_draws: int = 200,
    seed: int | None = None,
    keep: Sequence[str] = (),
) -> Any:
    """Per-customer purchase forecast and lifetime value, computed in Spark with ``mapInPandas``.

    Parameters
    ----------
    rfm : SparkRFM or pyspark.sql.DataFrame
        ``customer_id, frequency, recency, T, monetary_value`` (other
        columns are ignored unless named in ``keep``).
    transactions_model, spend_model : fitted ``clv`` MLE models
    horizon, discount_rate, margin, period, interval, n_draws, seed
        As in :func:`clv.customer_value`.
    time_unit : {"W", "D", "M"}, optional
        Defaults to the unit of a :class:`SparkRFM` (``"W"`` for a bare
        DataFrame); a different unit than the summary's is an error.
    keep : sequence of str
        Columns of ``rfm`` copied to the output (e.g. ``"channel"``).

    Returns
    -------
    pyspark.sql.DataFrame
        ``customer_id``, then the columns of :func:`clv.customer_value`
        (``purchase_rate, p_alive, churn_probability, expected_purchases,
        expected_spend, expected_revenue, clv`` and, with ``interval``,
        ``clv_lower, clv_upper``), then ``keep``. Lazy: nothing runs until
        the result is written or aggregated.

    Raises
    ------
    clv.DataError
        Bad settings (checked on the driver before any Spark job) or a
        missing column.

    Examples
    --------
    >>> scores = clv.spark.score(rfm, bg, gg, horizon=52, discount_rate=0.1, margin=0.3)  # doctest: +SKIP
    >>> scores.write.parquet("scores.parquet")  # doctest: +SKIP
    """
    frame, time_unit = _rfm_frame(rfm, time_unit)
    settings = {
        "horizon": horizon, "discount_rate": discount_rate, "margin": margin, "time_unit": time_unit,
        "period": period, "interval": interval, "n_draws": n_draws, "seed": seed,
    }
    return _map_scores(frame.drop("_group") if "_group" in frame.columns else frame,
                       {"*": (transactions_model, spend_model)}, settings, keep)


def score_channels(
    rfm: Any,
    models: Any,
    acquisitions: Any,
    *,
    horizon: float,
    discount_rate: float,
    margin: float = 1.0,
    time_unit: str | None = None,
    period: float = 1.0,
    keep: Sequence[str] = (),
) -> Any:
    """Score every customer with the models of its acquisition channel, like ``ChannelModels.score``.

    Parameters
    ----------
    rfm : SparkRFM or pyspark.sql.DataFrame
    models : clv.ChannelModels
        Per-channel maximum-likelihood pairs with the pooled pair under
        ``"*"`` (:func:`clv.spark.fit_channel_models`); customers without an
        acquisition row, or of a channel without its own pair, use the pooled
        pair.
    acquisitions : pyspark.sql.DataFrame
        ``customer_id, channel``.
    horizon, discount_rate, margin, time_unit, period, keep
        As in :func:`score`.

    Returns
    -------
    pyspark.sql.DataFrame
        The columns of :func:`score`; equal to
        ``models.score(rfm_pandas, channel_of, ...)``.

    Examples
    --------
    These need a Spark session (``pip install 'clv[spark]'`` and Java 17), so
    the doctests do not run them.

    >>> import clv, clv.spark
    >>> spark = clv.spark.get_session("local[2]")  # doctest: +SKIP
    >>> tx = spark.createDataFrame(clv.read_transactions(clv.datasets.data_path("demo/transactions.csv")))  # doctest: +SKIP
    >>> acq = clv.read_acquisitions(clv.datasets.data_path("demo/acquisitions.csv"))
    >>> acq_spark = spark.createDataFrame(acq[["customer_id", "channel", "acquired_at"]])  # doctest: +SKIP
    >>> rfm = clv.spark.rfm_summary(tx, observation_end="2025-12-31")  # doctest: +SKIP
    >>> models = clv.spark.fit_channel_models(rfm, acq_spark)  # doctest: +SKIP
    >>> scores = clv.spark.score_channels(rfm, models, acq_spark, horizon=52, discount_rate=0.1, margin=0.3)  # doctest: +SKIP
    >>> scores.columns  # doctest: +SKIP
    ['customer_id', 'purchase_rate', 'p_alive', 'churn_probability', 'expected_purchases', 'expected_spend', 'expected_revenue', 'clv']
    """
    from pyspark.sql import functions as F

    point = models.point() if hasattr(models, "point") else None
    if not point:
        raise DataError("score_channels needs maximum-likelihood channel models (clv.ChannelModels); "
                        "posterior models are scored on the driver")
    frame, time_unit = _rfm_frame(rfm, time_unit)
    channel = acquisitions.select("customer_id", F.col("channel").cast("string").alias("_group"))
    frame = frame.join(channel, "customer_id", "left").fillna({"_group": "*"})
    settings = {"horizon": horizon, "discount_rate": discount_rate, "margin": margin, "time_unit": time_unit,
                "period": period}
    return _map_scores(frame, dict(point), settings, keep)

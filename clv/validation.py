"""Former name of :mod:`clv.holdout` (holdout validation of fitted models), kept so that old imports work.

The module was renamed so that its name says what it does and no longer
reads like :mod:`clv.data.validation` (the readers' input checks). New code
imports from :mod:`clv.holdout`; the public functions are also ``clv.validate``,
``clv.tracking`` and ``clv.compare_models``.
"""

from __future__ import annotations

from clv.holdout import Tracking, ValidationResult, bucket_index, compare_models, frequency_buckets, group_totals, tracking, validate

__all__ = ["Tracking", "ValidationResult", "bucket_index", "compare_models", "frequency_buckets", "group_totals", "tracking", "validate"]

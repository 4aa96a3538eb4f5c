"""Customer acquisition cost (CAC) against lifetime value (LTV) by acquisition channel.

The package, one job per module:

* :mod:`clv.channels.new_customer`: the new-customer curve and payback
  (:func:`new_customer_curve`, :func:`payback_period`) and the
  lifetime value of a new customer (:func:`new_customer_lifetime_value`), also used by the
  budget functions;
* :mod:`clv.channels.models`: the channel-level model sets
  (:class:`ChannelModels`, :class:`PosteriorChannelModels`,
  :func:`fit_channel_models`), built on :mod:`clv.model_set`;
* :mod:`clv.channels.costs`: input checks, cost allocation, revenue to date
  and the reconciliation counts;
* :mod:`clv.channels.intervals`: new-customer value, payback and the
  draw-based intervals per channel;
* :mod:`clv.channels.cohorts`: the channel x acquisition-month table;
* :mod:`clv.channels.report`: :func:`channel_report`, a short sequence of the
  steps above, and :class:`ChannelReport` (the definitions of every column
  are in its module notes).
"""

from __future__ import annotations

from clv.channels.models import ChannelModels, PosteriorChannelModels, fit_channel_models
from clv.channels.new_customer import (
    NOT_WITHIN_HORIZON,
    new_customer_curve,
    new_customer_dert,
    new_customer_lifetime_value,
    payback_period,
    unit_economics,
)
from clv.channels.report import TABLE_COLUMNS, ChannelReport, channel_report
from clv.model_set import PosteriorDraws

__all__ = [
    "NOT_WITHIN_HORIZON",
    "TABLE_COLUMNS",
    "ChannelModels",
    "ChannelReport",
    "PosteriorChannelModels",
    "PosteriorDraws",
    "channel_report",
    "fit_channel_models",
    "new_customer_curve",
    "new_customer_dert",
    "new_customer_lifetime_value",
    "payback_period",
    "unit_economics",
]

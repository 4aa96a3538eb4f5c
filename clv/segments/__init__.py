"""Lifecycle stages, RFM segments, value tiers and the churn-risk watchlist.

Business logic on score tables (the output of :func:`clv.customer_value`):
nothing here fits a model or draws. Where a rule needs a model quantity that a
score table does not hold (P(alive) as of the last purchase), the fitted
transaction model is passed in and only its public prediction methods are
called.

Two model quantities drive the lifecycle stage of a customer with history
``(x, t_x, T)``:

* ``p_alive``, P(alive | x, t_x, T) (Fader, Hardie & Lee 2005, eq. A.1 for
  BG/NBD; Fader & Hardie 2005, eq. 18 for Pareto/NBD);
* ``activity``, the expected purchases over the next ``window`` time units
  now, ``E[Y(w) | x, t_x, T]`` (FHL 2005, eq. 10), divided by the same
  expectation as it stood right after the last purchase, ``E[Y(w) | x, t_x,
  t_x]``. It is 1 just after a purchase and falls as the silence since then
  lowers both P(alive) and the posterior purchase rate. For a customer
  without repeat purchases it compares today's expectation with a freshly
  acquired customer's, which matters because BG/NBD gives such customers
  P(alive) = 1 however long they have been silent (a BG/NBD customer can only
  drop out after a repeat purchase).
"""

from __future__ import annotations

from clv.segments.lifecycle import STAGES, lifecycle_mix, lifecycle_stage, stage_transitions
from clv.segments.rfm import RFM_SEGMENT_RULES, VALUE_TIERS, rfm_segments, value_tiers
from clv.segments.watchlist import DECLINE_P_ALIVE, churn_watchlist, customer_segments, value_at_risk

__all__ = [
    "DECLINE_P_ALIVE",
    "RFM_SEGMENT_RULES",
    "STAGES",
    "VALUE_TIERS",
    "churn_watchlist",
    "customer_segments",
    "lifecycle_mix",
    "lifecycle_stage",
    "rfm_segments",
    "stage_transitions",
    "value_at_risk",
    "value_tiers",
]

"""Budgeting: what the existing base will bring, and what a new customer is worth.

Three functions for planning scripts and notebooks, all built on the fitted
models' own expectations and on :func:`clv.valuation.period_edges` /
:func:`clv.valuation.discount_factors` (one discounting scheme for the whole
library: purchases of period ``k`` are discounted from the end of the period,
``(1 + d) ** -(t_k in years)``).

* :func:`forecast_base`: expected purchases, revenue and margin of the
  customers already acquired, period by period.
* :func:`new_customer_value`: expected discounted margin of one newly acquired
  customer (per channel when given per-channel models).
* :func:`max_cac`: the highest acquisition cost per channel that still meets
  a target LTV:CAC ratio and/or a payback period.

Uncertainty
-----------
For maximum-likelihood models an interval is a parametric bootstrap:
``n_draws`` parameter sets are drawn from the asymptotic normal of each
model's log-parameters (:meth:`clv.FitResult.sample_params`), every figure is
recomputed at each draw (:meth:`with_params`) and the interval is the central
``interval`` quantile range of the draws. Point values are always the figure
at the estimates. The same ``seed`` gives the same interval.

Bayesian models (anything with ``group_param_draws(n_draws, seed=)``, the
protocol of :class:`clv.channels.PosteriorDraws`, such as the grouped models
of :mod:`clv.bayes`) are evaluated at ``n_draws`` posterior draws of each
group's parameters; point values are then posterior means and intervals are
always given (90% unless ``interval`` says otherwise). The transaction and
spend posteriors come from separate fits, so the ``k``-th draw of one is
paired with the ``k``-th draw of the other.
"""

from __future__ import annotations

from clv.budget.forecast import forecast_base
from clv.budget.unit_economics import max_cac, new_customer_value

__all__ = ["forecast_base", "max_cac", "new_customer_value"]

"""Report files: a self-contained HTML page, a Markdown summary, CSV tables and a JSON summary.

Reports only assemble what the computing layers returned (no fitting).
A report is a list of sections (:mod:`clv.reports.sections`); add one by
subclassing :class:`Section` and passing
``sections=[*default_sections(), MySection()]`` to :func:`write_report`.
"""

from clv.reports.sections import ReportContext, Section, default_sections
from clv.reports.writer import render_html, render_markdown, write_report

__all__ = ["ReportContext", "Section", "default_sections", "render_html", "render_markdown", "write_report"]

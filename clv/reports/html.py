"""HTML building blocks: escaping, number formats, tables, embedded PNG figures, the page.

Every piece of user text (channel names, cohort labels, file names,
settings) passes through :func:`esc` (``html.escape`` with quotes) before it
reaches the page; section code builds HTML only from these helpers.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["esc", "figure_png", "fmt_int", "fmt_money", "fmt_number", "fmt_pct", "fmt_ratio", "fmt_text", "img_tag", "page", "table_html"]

Column = tuple[str, str, Callable[[Any], str]]  # (column, header, formatter)


def esc(value: Any) -> str:
    """``html.escape`` of ``str(value)``, quotes included."""
    return html.escape(str(value), quote=True)


def _missing(value: Any) -> bool:
    try:
        return value is None or (isinstance(value, (float, np.floating)) and not np.isfinite(value)) or pd.isna(value)
    except (TypeError, ValueError):
        return False


def fmt_money(value: Any) -> str:
    """``1,234.56``; ``n/a`` for missing."""
    return "n/a" if _missing(value) else f"{float(value):,.2f}"


def fmt_number(value: Any, digits: int = 1) -> str:
    """Fixed decimals; ``n/a`` for missing."""
    return "n/a" if _missing(value) else f"{float(value):,.{digits}f}"


def fmt_ratio(value: Any) -> str:
    """``2.35x``; ``n/a`` for missing (zero or unknown CAC)."""
    return "n/a" if _missing(value) else f"{float(value):.2f}x"


def fmt_pct(value: Any) -> str:
    """``12.3%``; ``n/a`` for missing."""
    return "n/a" if _missing(value) else f"{100 * float(value):.1f}%"


def fmt_int(value: Any) -> str:
    """``12,345``; ``n/a`` for missing."""
    return "n/a" if _missing(value) else f"{int(value):,}"


def fmt_text(value: Any) -> str:
    """Text as is; ``n/a`` for missing."""
    return "n/a" if _missing(value) else str(value)


def table_html(frame: pd.DataFrame, columns: Sequence[Column], *, index: tuple[str, str] | None = None,
               row_class: Callable[[Any], str] | None = None, titles: dict[str, str] | None = None) -> str:
    """An escaped HTML table of selected, formatted columns.

    ``index`` is ``(header, css class)`` to show the index as the first
    column; ``row_class`` maps a row (Series) to a CSS class; ``titles``
    maps a column to a one-line definition shown as the header's tooltip.
    """
    titles = titles or {}
    head = "".join(f'<th title="{esc(titles[c])}">{esc(h)}</th>' if c in titles else f"<th>{esc(h)}</th>" for c, h, _ in columns)
    if index is not None:
        head = f"<th>{esc(index[0])}</th>" + head
    rows = []
    for key, row in frame.iterrows():
        cells = "".join(
            f'<td class="{"text" if fmt is fmt_text else "num"}">{esc(fmt(row[col]))}</td>' for col, _, fmt in columns
        )
        if index is not None:
            cells = f'<th scope="row" class="{esc(index[1])}">{esc(key)}</th>' + cells
        css = f' class="{esc(row_class(row))}"' if row_class else ""
        rows.append(f"<tr{css}>{cells}</tr>")
    return f'<div class="wide"><table><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table></div>'


def figure_png(draw: Callable[[Any], Any], *, size: tuple[float, float] = (9.0, 4.5), dpi: int = 100) -> str:
    """Draw with ``draw(ax)`` on a new figure and return the PNG as base64 text.

    Uses :class:`matplotlib.figure.Figure` directly (no pyplot state, no
    display backend).
    """
    from matplotlib.figure import Figure

    fig = Figure(figsize=size, dpi=dpi, layout="constrained")
    draw(fig.subplots())
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def img_tag(png_base64: str, alt: str) -> str:
    """An ``<img>`` with the PNG embedded as a data URI."""
    return f'<img alt="{esc(alt)}" src="data:image/png;base64,{png_base64}">'


_CSS = """
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:24px auto;max-width:1300px;color:#222;padding:0 16px}
h1{font-size:1.6em;margin-bottom:4px}h2{border-bottom:2px solid #ddd;padding-bottom:4px;margin-top:36px}
.subtitle{color:#555;margin-top:0}
table{border-collapse:collapse;margin:8px 0 16px 0;font-size:0.88em}
th,td{border:1px solid #ddd;padding:4px 8px}thead th{background:#f3f5f7;position:sticky;top:0}
td.num{text-align:right;font-variant-numeric:tabular-nums}td.text{text-align:left}th.channel{text-align:left}
tr.pays td,tr.pays th{background:#eef7ee}tr.fails td,tr.fails th{background:#fbeeee}
.verdict{font-size:1.05em;line-height:1.6}.good{color:#2e7d32;font-weight:600}.bad{color:#c62828;font-weight:600}
.na{color:#555;font-weight:600}.note{color:#555;font-size:0.9em}img{max-width:100%;height:auto}
.grid{display:grid;grid-template-columns:1fr 1fr;gap:16px}
nav a{margin-right:12px}.wide{overflow-x:auto;max-width:100%}th[title]{text-decoration:underline dotted;cursor:help}
"""


def page(title: str, subtitle: str, sections: Sequence[tuple[str, str, str]]) -> str:
    """The whole self-contained page. ``sections`` are ``(anchor, title, body HTML)``; title texts are escaped here."""
    nav = "".join(f'<a href="#{esc(a)}">{esc(t)}</a>' for a, t, _ in sections)
    body = "".join(f'<section id="{esc(a)}"><h2>{esc(t)}</h2>{b}</section>' for a, t, b in sections)
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{_CSS}</style></head><body>"
        f'<h1>{esc(title)}</h1><p class="subtitle">{esc(subtitle)}</p><nav>{nav}</nav>{body}</body></html>\n'
    )

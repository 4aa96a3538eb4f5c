"""Markdown building blocks for the summary file."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import pandas as pd

from clv.reports.html import Column

__all__ = ["md_escape", "md_table"]

_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|~])")


def md_escape(value: Any) -> str:
    """User text safe inside Markdown: backslash-escapes markup characters (``<``, ``|``, ``*`` ...) and newlines."""
    return _SPECIAL.sub(r"\\\1", str(value)).replace("\r", " ").replace("\n", " ")


def md_table(frame: pd.DataFrame, columns: Sequence[Column], *, index: str | None = None) -> str:
    """A pipe table of selected, formatted columns (cells escaped)."""
    headers = ([index] if index is not None else []) + [h for _, h, _ in columns]
    lines = ["| " + " | ".join(md_escape(h) for h in headers) + " |", "|" + "---|" * len(headers)]
    for key, row in frame.iterrows():
        cells = ([md_escape(key)] if index is not None else []) + [md_escape(fmt(row[c])) for c, _, fmt in columns]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)

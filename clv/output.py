"""The one home of file output: atomic writes and the JSON-safe converter.

Every file ``clv`` writes (model JSON, Bayesian netCDF, score CSV, report
directories) goes through :func:`atomic_file` or :func:`atomic_directory`:
the content is written under a temporary name next to the destination and
renamed into place only when complete, so a reader never sees half a file and
a failure leaves any previous file intact. :func:`jsonable` turns numpy and
pandas scalars into plain JSON values (NaN and infinities become ``None``).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["atomic_directory", "atomic_file", "csv_line_end", "jsonable", "records", "write_text_atomic"]


@contextmanager
def atomic_file(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; on success rename it to ``path``, on failure remove it.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> with atomic_file(folder / "a.txt") as tmp:
    ...     _ = tmp.write_text("done")
    >>> (folder / "a.txt").read_text(), sorted(p.name for p in folder.iterdir())
    ('done', ['a.txt'])
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=path.parent, prefix=f".{path.name}.", suffix=".tmp", delete=False) as handle:
        tmp = Path(handle.name)
    try:
        yield tmp
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_text_atomic(path: str | Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically (see :func:`atomic_file`); return ``path``."""
    with atomic_file(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


@contextmanager
def atomic_directory(out: str | Path) -> Iterator[Path]:
    """Yield a fresh temporary directory next to ``out``; on success it replaces ``out`` as a whole.

    An existing ``out`` is moved aside and removed only after the new
    directory is in place; on failure the temporary directory is removed and
    ``out`` is left as it was. The directory gets the usual permissions (the
    umask), not ``mkdtemp``'s private ones.
    """
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        umask = os.umask(0)
        os.umask(umask)
        tmp.chmod(0o777 & ~umask)
        yield tmp
        _swap_into_place(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _swap_into_place(tmp: Path, out: Path) -> None:
    """Rename ``tmp`` to ``out``; an existing ``out`` is moved aside first and removed after."""
    if not out.exists():
        tmp.rename(out)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
    old.rmdir()
    out.rename(old)
    try:
        tmp.rename(out)
    except OSError:
        old.rename(out)
        raise
    shutil.rmtree(old, ignore_errors=True)


def jsonable(value: Any) -> Any:
    """``value`` with numpy/pandas scalars made plain JSON: NaN and infinities become ``None``, dates ISO strings.

    Examples
    --------
    >>> import numpy as np
    >>> jsonable({"n": np.int64(3), "x": [np.float64(0.5), float("nan")], "ok": np.bool_(True)})
    {'n': 3, 'x': [0.5, None], 'ok': True}
    """
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if not np.isfinite(value) else float(value)
    if isinstance(value, (pd.Timestamp, np.datetime64)):
        return str(pd.Timestamp(value).date())
    if isinstance(value, (np.bool_,)):
        return bool(value)
    return value


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows of ``frame`` as JSON-safe dicts (see :func:`jsonable`)."""
    return [jsonable(r) for r in frame.to_dict("records")]


def csv_line_end(frame: Any) -> str:
    r"""Line end for writing ``frame`` as CSV: ``"\n"``, or RFC 4180's ``"\r\n"`` when a text cell holds a carriage return.

    Python's CSV writer quotes a field only if it contains the delimiter, the
    quote character or a character of the line end; pandas' line end is
    ``"\n"``, so a channel name with a bare ``"\r"`` was written unquoted and
    every reader split the row there. With ``"\r\n"`` such fields are quoted.
    Ordinary files keep ``"\n"`` and stay byte-identical.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table about to be written (its index included).

    Returns
    -------
    str
        The ``lineterminator`` to pass to :meth:`pandas.DataFrame.to_csv`.

    Examples
    --------
    >>> import pandas as pd
    >>> csv_line_end(pd.DataFrame({"channel": ["web", "cr\rlf"]})) == "\r\n"
    True
    >>> csv_line_end(pd.DataFrame({"channel": ["web"]}))
    '\n'
    """
    columns = [frame.iloc[:, i] for i in range(frame.shape[1])] + [frame.index.to_series()]
    for values in columns:
        if (pd.api.types.is_object_dtype(values) or pd.api.types.is_string_dtype(values)) and any(
                isinstance(v, str) and "\r" in v for v in pd.unique(values.dropna())):  # distinct values: a channel column has a few
            return "\r\n"
    return "\n"

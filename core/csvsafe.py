"""The one CSV writer for every export the app serves: UTF-8 with a BOM (Excel opens Chinese
correctly), ``text/csv; charset=utf-8``, a ``Content-Disposition`` file name — and no live
formulas. A text cell starting with ``= + - @``, a tab or a carriage return would run as a
formula in a spreadsheet (``=HYPERLINK(…)``, ``=cmd|…``), so it gets a leading ``'`` (OWASP's
advice for CSV injection); numbers (also ``-2.5`` as text) and a lone ``-`` stay as they are.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from flask import Response

BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """``value`` with a leading quote when it is text a spreadsheet would treat as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _plain(value):
        return "'" + value
    return value


def _plain(text: str) -> bool:
    """A lone sign (the "no value" dash) or a number such as ``-2.5``: nothing to evaluate."""
    if text in ("-", "+"):
        return True
    try:
        float(text)
    except ValueError:
        return False
    return text.strip() == text


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return round(value, 4)
    return neutralise(value)


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([_cell(h) for h in header])
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    return BOM + buffer.getvalue()


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Response:
    response = Response(csv_text(header, rows).encode("utf-8"), mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response

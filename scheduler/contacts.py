"""Contacts from CSV, and the do-not-call list.

CSV: UTF-8 (a BOM is fine) or GB18030 (Excel on Chinese Windows); comma, semicolon, tab or
``|`` separated; the first row names the columns. Columns (English or Chinese header names):

=============  ==========================================  ========
column         aliases                                     required
=============  ==========================================  ========
``phone``      number, mobile, tel, 电话, 手机, 号码, 联系电话   yes
``name``       姓名, 客户, 客户姓名
``title``      称呼 (said when verifying identity: 王先生)
``case_ref``   case, 工单号, 案件编号 (an existing case: C20261124-0001)
``timezone``   tz, 时区 (IANA, e.g. Asia/Shanghai)
``locale``     language, 语言 (zh-CN or en)
``note``       备注
=============  ==========================================  ========

Any other column is kept as script context (``{date}``, ``{issue}``, ``{result}``, ``{area}``,
``{amount}``, ``{due_date}``…). Row numbers are as a spreadsheet shows them (header = row 1).
Bad rows are reported (row, field, reason) and the good ones imported; duplicates (in the file
or already in the campaign) are skipped and counted; numbers on the DNC list are kept as
``dnc`` contacts that are never dialed, and counted. A broken file (not text, no ``phone``
column) raises ``ImportProblem`` and imports nothing: everything is one transaction.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from core.config import Settings
from core.db import utcnow
from core.models import Case
from core.phone import InvalidNumber, to_e164
from scheduler.dnc import add_dnc, blocked_numbers, is_blocked, list_dnc, remove_dnc
from scheduler.models import Campaign, CampaignStatus, Contact, ContactStatus

__all__ = ["add_dnc", "list_dnc", "remove_dnc"]  # the do-not-call list lives in scheduler.dnc
from scheduler.windows import WindowError, zone

ALIASES: dict[str, tuple[str, ...]] = {
    "phone": ("phone", "number", "phone_number", "mobile", "tel", "telephone", "电话", "手机", "号码",
              "联系电话", "手机号", "电话号码"),
    "name": ("name", "姓名", "客户", "客户姓名", "contact"),
    "title": ("title", "称呼"),
    "case_ref": ("case_ref", "case", "caseref", "工单号", "案件编号", "工单"),
    "timezone": ("timezone", "tz", "time_zone", "时区"),
    "locale": ("locale", "language", "lang", "语言"),
    "note": ("note", "notes", "备注"),
}
_LOOKUP = {alias.lower(): key for key, names in ALIASES.items() for alias in names}
LOCALES = {"zh-CN", "en"}
MAX_FILE_BYTES = 20 * 1024 * 1024


class ImportProblem(ValueError):
    """The file cannot be imported at all (nothing was imported)."""


@dataclass
class ImportReport:
    imported: int = 0
    skipped_duplicates: int = 0
    skipped_dnc: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    rows: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"imported": self.imported, "skipped_duplicates": self.skipped_duplicates,
                "skipped_dnc": self.skipped_dnc, "errors": self.errors, "rows": self.rows}


def decode(data: bytes) -> str:
    """UTF-8 (BOM tolerated), else GB18030; binary files are refused."""
    if not data or not data.strip():
        raise ImportProblem("file: empty")
    if len(data) > MAX_FILE_BYTES:
        raise ImportProblem(f"file: larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
    if b"\x00" in data[:8192]:
        raise ImportProblem("file: not a CSV text file (binary content)")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportProblem("file: not UTF-8 or GB18030 text")


def _dialect(sample: str) -> type[csv.Dialect] | csv.Dialect:
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:
        return csv.excel


def parse_rows(text: str) -> tuple[list[str], list[tuple[int, dict[str, str], dict[str, str]]]]:
    """(header keys, [(row number, known fields, extra columns)]); raises ImportProblem."""
    first_line = text.split("\n", 1)[0]
    try:
        reader = csv.reader(io.StringIO(text, newline=""), _dialect(first_line))
        header = next(reader, None)
    except csv.Error as exc:
        raise ImportProblem(f"file: not CSV: {exc}") from None
    if not header or not any(h.strip() for h in header):
        raise ImportProblem("file: the first row must name the columns (phone, name, …)")
    keys = []
    for raw in header:
        name = raw.strip().lstrip("\ufeff")
        keys.append(_LOOKUP.get(name.lower(), name.lower().replace(" ", "_")[:40] if name else ""))
    if "phone" not in keys:
        raise ImportProblem("file: no phone column (header names: phone, name, title, case_ref, timezone, "
                            "locale, note; or 电话/手机/号码)")
    rows = []
    try:
        for line_no, values in enumerate(reader, start=2):
            if not values or not any(v.strip() for v in values):
                continue
            known: dict[str, str] = {}
            extra: dict[str, str] = {}
            for key, value in zip(keys, values, strict=False):
                if not key:
                    continue
                if key in ALIASES:
                    known[key] = value.strip()
                else:
                    extra[key] = value.strip()
            if len(values) > len(keys) and any(v.strip() for v in values[len(keys):]):
                known["__extra_cells__"] = "1"
            rows.append((line_no, known, extra))
    except csv.Error as exc:
        raise ImportProblem(f"file: not CSV near row {reader.line_num}: {exc}") from None
    return keys, rows


class _RowError(Exception):
    def __init__(self, fieldname: str, reason: str) -> None:
        super().__init__(reason)
        self.fieldname, self.reason = fieldname, reason


_TEXT_LIMITS = (("name", 80), ("title", 40), ("note", 2000))


@dataclass
class _RowChecker:
    """Validates one CSV row against the settings, the campaign's cases and the known zones."""

    region: str
    cases: dict[str, int]
    good_zones: dict[str, bool] = field(default_factory=dict)

    def zone_ok(self, tz: str) -> bool:
        if tz not in self.good_zones:
            try:
                zone(tz)
                self.good_zones[tz] = True
            except WindowError:
                self.good_zones[tz] = False
        return self.good_zones[tz]

    def check(self, known: dict[str, str], extra: dict[str, str]) -> dict[str, Any]:
        """The row's contact fields; raises ``_RowError`` naming the first bad field."""
        if known.pop("__extra_cells__", None):
            raise _RowError("row", "more cells than header columns")
        try:
            phone = to_e164(known.get("phone", ""), self.region)
        except InvalidNumber as exc:
            raise _RowError("phone", str(exc)) from None
        tz = known.get("timezone") or None
        if tz and not self.zone_ok(tz):
            raise _RowError("timezone", f"unknown IANA time zone {tz!r}")
        locale = known.get("locale") or None
        if locale and locale not in LOCALES:
            raise _RowError("locale", "must be zh-CN or en")
        case_ref = known.get("case_ref") or None
        if case_ref and case_ref not in self.cases:
            raise _RowError("case_ref", f"no case {case_ref!r}")
        texts = {name: known.get(name) or None for name, _limit in _TEXT_LIMITS}
        for name, limit in _TEXT_LIMITS:
            if texts[name] and len(texts[name] or "") > limit:
                raise _RowError(name, f"at most {limit} characters")
        for key, value in extra.items():
            if len(value) > 500:
                raise _RowError(key, "at most 500 characters")
        return {"phone": phone, "name": texts["name"], "title": texts["title"] or _title_from(texts["name"]),
                "case_id": self.cases.get(case_ref) if case_ref else None, "case_ref": case_ref,
                "timezone": tz, "locale": locale, "note": texts["note"],
                "context": {k: v for k, v in extra.items() if v}}


def import_csv(s: Session, settings: Settings, campaign: Campaign, data: bytes | str) -> ImportReport:
    """Validate and add the file's contacts to ``campaign`` (flushed, not committed)."""
    if campaign.status in (CampaignStatus.CANCELLED, CampaignStatus.COMPLETED):
        raise ImportProblem(f"campaign: it is {campaign.status}; contacts can no longer be added")
    text = decode(data) if isinstance(data, bytes) else data
    _keys, rows = parse_rows(text)
    limit = settings.campaigns.max_csv_rows
    if len(rows) > limit:
        raise ImportProblem(f"file: {len(rows)} rows; at most {limit} per upload (campaigns.max_csv_rows)")
    report = ImportReport(rows=len(rows))
    existing = set(s.scalars(select(Contact.phone).where(Contact.campaign_id == campaign.id)))
    dnc = blocked_numbers(s, None, campaign.id)
    refs = {r[1].get("case_ref") for r in rows if r[1].get("case_ref")}
    cases = dict(s.execute(select(Case.ref, Case.id).where(Case.ref.in_(refs))).all()) if refs else {}
    checker = _RowChecker(settings.campaigns.default_region, cases)
    now = utcnow()
    batch: list[dict[str, Any]] = []
    for row_no, known, extra in rows:
        try:
            fields = checker.check(known, extra)
        except _RowError as exc:
            report.errors.append({"row": row_no, "field": exc.fieldname, "reason": exc.reason})
            continue
        if fields["phone"] in existing:
            report.skipped_duplicates += 1
            continue
        existing.add(fields["phone"])
        on_dnc = fields["phone"] in dnc
        if on_dnc:
            report.skipped_dnc += 1
        else:
            report.imported += 1
        batch.append({
            **fields, "campaign_id": campaign.id,
            "row_number": row_no, "status": ContactStatus.DNC if on_dnc else ContactStatus.PENDING,
            "round": campaign.round, "attempts": 0, "next_attempt_at": None,
            "reason": "on the do-not-call list: never dialed" if on_dnc else None, "result": None,
            "outcome": {}, "created_at": now, "updated_at": now,
        })
    for start in range(0, len(batch), 2000):
        s.execute(insert(Contact), batch[start:start + 2000])
    s.flush()
    return report


def _title_from(name: str | None) -> str | None:
    return name


def add_contact(s: Session, settings: Settings, campaign: Campaign, phone: str, *, name: str | None = None,
                title: str | None = None, case_id: int | None = None, case_ref: str | None = None,
                locale: str | None = None, note: str | None = None, context: dict[str, Any] | None = None,
                next_attempt_at: Any = None) -> Contact:
    """One contact (follow-up rules, the console). Raises InvalidNumber on a bad number."""
    e164 = to_e164(phone, settings.campaigns.default_region)
    on_dnc = is_blocked(s, e164, campaign.id)
    contact = Contact(campaign_id=campaign.id, phone=e164, name=name, title=title or name, case_id=case_id,
                      case_ref=case_ref, locale=locale, note=note, context=context or {},
                      status=ContactStatus.DNC if on_dnc else ContactStatus.PENDING, round=campaign.round,
                      next_attempt_at=next_attempt_at,
                      reason="on the do-not-call list: never dialed" if on_dnc else None)
    s.add(contact)
    s.flush()
    return contact


# -- do-not-call list ---------------------------------------------------------------------------

def import_dnc(s: Session, settings: Settings, data: bytes | str, user_id: int | None = None) -> ImportReport:
    """A CSV with a ``phone`` column (and optional ``reason``/``note``) onto the DNC list."""
    text = decode(data) if isinstance(data, bytes) else data
    _keys, rows = parse_rows(text)
    report = ImportReport(rows=len(rows))
    for row_no, known, extra in rows:
        try:
            _row, created = add_dnc(s, settings, known.get("phone", ""),
                                    extra.get("reason") or known.get("note"), user_id, source="import")
        except InvalidNumber as exc:
            report.errors.append({"row": row_no, "field": "phone", "reason": str(exc)})
            continue
        if created:
            report.imported += 1
        else:
            report.skipped_duplicates += 1
    return report

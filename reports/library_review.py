"""The library's review loop on the lead's library page (HANDBOOK S1–S9).

Anyone on a call marks a flag «wrong» (the sentence is clean); a lead marks a sentence the
library missed «should have been flagged» as a situation. Each becomes a ``LibraryCandidate``;
the library page lists the open ones. Accepting one appends the sentence to the library's
tuning examples (``examples.yaml``) through the same lint-checked save as every library edit
(``library_edit``): the changed library is reloaded and the learned layer retrains on it.
Lint keeps its guarantee that no approved reply is ever flagged.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.config import Settings
from core.db import utcnow
from core.models import AuditLog, User
from reports.library_edit import LOCALES, LibraryEditError, _apply
from scripts_library import service
from scripts_library.models import MISSED, WRONG_FLAG, LibraryCandidate

EXAMPLES_FILE = "examples.yaml"
SITUATIONS = tuple(f"S{i}" for i in range(1, 10))
MAX_TEXT = 2000


def _check(text: str, locale: str) -> list[dict[str, Any]]:
    return service.check(text, locale)


def propose(s: Session, user: User, *, kind: str, text: str, locale: str, label: str | None = None,
            utterance_id: int | None = None, note: str = "") -> LibraryCandidate:
    """A new open candidate (or the open one with the same sentence and label)."""
    text = (text or "").strip()
    if kind not in (WRONG_FLAG, MISSED):
        raise LibraryEditError(f"kind: one of {WRONG_FLAG}, {MISSED}")
    if locale not in LOCALES:
        raise LibraryEditError(f"locale: one of {', '.join(LOCALES)}")
    if not text or len(text) > MAX_TEXT:
        raise LibraryEditError(f"text: 1–{MAX_TEXT} characters")
    flagged = [f["situation"] for f in _check(text, locale)]
    if kind == WRONG_FLAG:
        if not flagged:
            raise LibraryEditError("text: the library does not flag it (nothing to mark wrong)")
        label = "none"
    elif label not in SITUATIONS:
        raise LibraryEditError("label: the situation it should have been flagged as, S1–S9")
    elif label in flagged:
        raise LibraryEditError(f"text: it is flagged as {label} already")
    found = s.scalar(select(LibraryCandidate).where(LibraryCandidate.status == "open", LibraryCandidate.text == text,
                                                    LibraryCandidate.locale == locale, LibraryCandidate.label == label))
    if found is not None:
        return found
    cand = LibraryCandidate(kind=kind, locale=locale, text=text, label=label, flagged_as=flagged[0] if flagged else None,
                            utterance_id=utterance_id, note=(note or "")[:MAX_TEXT], proposed_by_id=user.id,
                            status="open", at=utcnow())
    s.add(cand)
    s.flush()
    s.add(AuditLog(user_id=user.id, action="library_candidate", target=str(cand.id),
                   detail={"kind": kind, "label": label, "locale": locale}))
    return cand


def pending(s: Session, limit: int = 200) -> list[LibraryCandidate]:
    return list(s.scalars(select(LibraryCandidate).where(LibraryCandidate.status == "open")
                          .order_by(LibraryCandidate.at, LibraryCandidate.id).limit(limit)))


def example_line(cand: LibraryCandidate) -> str:
    """The candidate as one ``examples.yaml`` row (JSON strings are valid YAML flow scalars)."""
    confirmed = ", confirmed: true" if cand.label != "none" else ""
    return (f"- {{locale: {cand.locale}, flag: {cand.label}{confirmed}, "
            f"text: {json.dumps(cand.text, ensure_ascii=False)}}}\n")


def _append_example(copy: Path, cand: LibraryCandidate) -> list[str]:
    path = copy / EXAMPLES_FILE
    body = path.read_text(encoding="utf-8") if path.is_file() else "examples:\n"
    if not body.endswith("\n"):
        body += "\n"
    if cand.id and f"# review candidate {cand.id}\n" in body:
        return []
    path.write_text(f"{body}# review candidate {cand.id}\n{example_line(cand)}", encoding="utf-8")
    return [EXAMPLES_FILE]


def _open(s: Session, candidate_id: int) -> LibraryCandidate:
    cand = s.get(LibraryCandidate, candidate_id)
    if cand is None or cand.status != "open":
        raise LibraryEditError("candidate: no such open candidate")
    return cand


def accept(s: Session, settings: Settings, user: User, candidate_id: int) -> LibraryCandidate:
    """Add the sentence to the tuning examples (lint-checked, library reloaded and retrained)."""
    cand = _open(s, candidate_id)
    _apply(settings, lambda copy: _append_example(copy, cand))
    return _decide(s, user, cand, "accepted")


def dismiss(s: Session, user: User, candidate_id: int) -> LibraryCandidate:
    return _decide(s, user, _open(s, candidate_id), "dismissed")


def _decide(s: Session, user: User, cand: LibraryCandidate, status: str) -> LibraryCandidate:
    cand.status, cand.decided_by_id, cand.decided_at = status, user.id, utcnow()
    s.add(AuditLog(user_id=user.id, action=f"library_candidate_{status}", target=str(cand.id),
                   detail={"label": cand.label, "locale": cand.locale}))
    s.flush()
    return cand

"""Pages: the audit-log viewer and the script-library editor."""

from __future__ import annotations

import re

from flask import flash, redirect, render_template, request, url_for

from core.db import session, utcnow
from core.web.auth import current_console_user, login_required
from core.web.i18n import t
from reports import audit, csvout, library_edit, library_review
from reports.library_edit import LOCALES, Draft, LibraryEditError
from reports.periods import PeriodError
from reports.web import LEADS, bad_request, bp, saved, settings

KINDS = ("approved", "forbidden", "prompt")
_SPLIT = re.compile(r"[\s,,]+")


@bp.get("/audit")
@login_required(LEADS)
def audit_page():
    s = session()
    try:
        f = audit.parse_filter(settings(), request.args, utcnow())
    except PeriodError as exc:
        return bad_request(str(exc))
    found = audit.search(s, settings(), f)
    return render_template("reports/audit.html", found=found, f=f, actions=audit.actions(s), groups=audit.GROUPS,
                           args=request.args)


@bp.get("/audit.csv")
@login_required(LEADS)
def audit_csv():
    try:
        f = audit.parse_filter(settings(), request.args, utcnow())
    except PeriodError as exc:
        return bad_request(str(exc))
    rows = audit.export_rows(session(), settings(), f)
    return csvout.csv_response("hotline-audit-log.csv", ["at", "user", "action", "target", "detail"], rows)


# -- the library editor ----------------------------------------------------------------------------

@bp.get("/library")
@login_required(LEADS)
def library_page():
    cfg = settings()
    return render_template("reports/library.html", entries=library_edit.entries(cfg),
                           editable=library_edit.library_dir(cfg) is not None,
                           history=library_edit.history(session(), limit=50),
                           candidates=library_review.pending(session()),
                           learning=library_edit.learning(cfg))


def _lines(name: str) -> list[str]:
    return [line.strip() for line in request.form.get(name, "").splitlines() if line.strip()]


def _draft(entry_id: str) -> Draft:
    texts = {loc: {"text": request.form.get(f"text-{loc}", ""), "variants": _lines(f"variants-{loc}"),
                   "key_phrases": _lines(f"key_phrases-{loc}"), "cues": _lines(f"cues-{loc}")} for loc in LOCALES}
    kind = request.form.get("kind", "")
    if kind not in KINDS:
        raise LibraryEditError(f"kind: one of {', '.join(KINDS)}")
    return Draft(entry_id=entry_id.strip(), situation=request.form.get("situation", "").strip().upper()[:4],
                 kind=kind, alternatives=tuple(a for a in _SPLIT.split(request.form.get("alternatives", "")) if a),
                 rules=tuple(r.upper() for r in _SPLIT.split(request.form.get("rules", "")) if r), texts=texts)


def _form_from_current(current: dict) -> dict:
    any_twin = next(iter(current.values()), {})
    form = {"situation": any_twin.get("situation") or any_twin.get("file_situation") or "",
            "kind": any_twin.get("kind", "approved"), "alternatives": ", ".join(any_twin.get("alternatives") or []),
            "rules": ", ".join(any_twin.get("rules") or [])}
    for loc in LOCALES:
        twin = current.get(loc, {})
        form[f"text-{loc}"] = twin.get("text", "")
        for key in ("variants", "key_phrases", "cues"):
            form[f"{key}-{loc}"] = "\n".join(twin.get(key) or [])
    return form


def _editor(entry_id: str | None, form: dict, error: str | None = None, problems: list[str] | None = None,
            status: int = 200):
    cfg = settings()
    return render_template("reports/library_entry.html", entry_id=entry_id, form=form, error=error,
                           problems=problems or [], kinds=KINDS, locales=LOCALES,
                           editable=library_edit.library_dir(cfg) is not None,
                           history=library_edit.history(session(), entry_id) if entry_id else []), status


@bp.get("/library/new")
@login_required(LEADS)
def library_new():
    return _editor(None, {"kind": "approved"})


@bp.get("/library/entry/<entry_id>")
@login_required(LEADS)
def library_entry(entry_id: str):
    current = library_edit.current(settings(), entry_id[:80])
    if not current:
        return bad_request(t("没有这个条目", "No such entry") + f": {entry_id[:80]}", 404)
    return _editor(entry_id, _form_from_current(current))


@bp.post("/library/save")
@login_required(LEADS)
def library_save():
    user = current_console_user()
    assert user is not None
    new = request.form.get("new") == "1"
    entry_id = request.form.get("entry_id", "")[:80]
    s = session()
    try:
        library_edit.save(s, settings(), user, _draft(entry_id), new=new, note=request.form.get("note", ""))
    except LibraryEditError as exc:
        s.rollback()
        return _editor(None if new else entry_id, dict(request.form), exc.message, exc.problems, 400)
    s.commit()
    flash(t("条目已保存(检查通过)。", "Entry saved (lint clean)."))
    return redirect(url_for("reports.library_entry", entry_id=entry_id.strip()))


@bp.post("/library/entry/<entry_id>/retire")
@login_required(LEADS)
def library_retire(entry_id: str):
    user = current_console_user()
    assert user is not None
    s = session()
    try:
        library_edit.retire(s, settings(), user, entry_id[:80], request.form.get("note", ""))
    except LibraryEditError as exc:
        s.rollback()
        current = library_edit.current(settings(), entry_id[:80])
        return _editor(entry_id, _form_from_current(current) if current else {}, exc.message, exc.problems, 400)
    s.commit()
    flash(t("条目已停用,可在历史中恢复。", "Entry retired; it can be restored from the history."))
    return redirect(url_for("reports.library_page"))


@bp.post("/library/restore/<int:edit_id>")
@login_required(LEADS)
def library_restore(edit_id: int):
    return saved(lambda s, user: library_edit.restore(s, settings(), user, edit_id), LibraryEditError,
                 t("条目已恢复。", "Entry restored."),
                 lambda edit: url_for("reports.library_entry", entry_id=edit.entry_id), LibraryEditError.reason)

"""Routes of the library's review loop (``reports.library_review``): propose a candidate from the
console (JSON), accept or dismiss it on the library page (leads)."""

from __future__ import annotations

from flask import jsonify, request, url_for

from agent_console.models import Utterance
from agent_console.transcripts import locale_of
from core.db import session
from core.web.auth import current_console_user, login_required
from core.web.i18n import t
from reports import library_review
from reports.library_edit import LibraryEditError
from reports.web import LEADS, bp, saved, settings
from scripts_library.models import MISSED


@bp.post("/library/candidates")
@login_required
def library_candidate_new():
    """``{kind: wrong_flag | missed, text, locale, label?, utterance_id?, note?}`` → 201 ``{id, status}``.
    Anyone may mark a flag wrong; only a lead marks a sentence «should have been flagged»."""
    user = current_console_user()
    assert user is not None
    data = request.get_json(silent=True) if request.is_json else request.form.to_dict()
    if not isinstance(data, dict):
        return jsonify(error="body: a JSON object"), 400
    if data.get("kind") == MISSED and user.role not in LEADS:
        return jsonify(error="kind: only a lead marks a sentence that should have been flagged"), 403
    raw_id = data.get("utterance_id")
    if raw_id not in (None, "") and not str(raw_id).isdigit():
        return jsonify(error="utterance_id: a number"), 400
    s = session()
    utterance_id = int(raw_id) if raw_id not in (None, "") else None
    text, locale = str(data.get("text") or ""), str(data.get("locale") or "")
    if utterance_id is not None:  # marked on a transcript line: its words and language
        said = s.get(Utterance, utterance_id)
        if said is None:
            return jsonify(error="utterance_id: no such utterance"), 400
        text = text or said.text
        locale = locale or locale_of(said.language, settings().company.default_locale)
    try:
        cand = library_review.propose(s, user, kind=str(data.get("kind") or ""), text=text, locale=locale,
                                      label=data.get("label") or None, utterance_id=utterance_id,
                                      note=str(data.get("note") or ""))
    except LibraryEditError as exc:
        s.rollback()
        return jsonify(error=exc.message), 400
    s.commit()
    return jsonify(id=cand.id, status=cand.status, label=cand.label), 201


def _to_library_page(_result: object) -> str:
    return url_for("reports.library_page")


@bp.post("/library/candidates/<int:candidate_id>/accept")
@login_required(LEADS)
def library_candidate_accept(candidate_id: int):
    return saved(lambda s, user: library_review.accept(s, settings(), user, candidate_id), LibraryEditError,
                 t("已加入调优样例,模型已重新训练。", "Added to the tuning examples; the model was retrained."),
                 _to_library_page, LibraryEditError.reason)


@bp.post("/library/candidates/<int:candidate_id>/dismiss")
@login_required(LEADS)
def library_candidate_dismiss(candidate_id: int):
    return saved(lambda s, user: library_review.dismiss(s, user, candidate_id), LibraryEditError,
                 t("已驳回。", "Dismissed."), _to_library_page, LibraryEditError.reason)

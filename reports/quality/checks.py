"""A team lead's spot-check of one review: each item confirmed or overridden (an override needs a
comment saying why), an overall comment, completed and written to the audit log."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from core.db import utcnow
from core.models import User
from core.web.auth import audit
from reports.quality import scorecard as sc
from reports.quality.models import QaReview
from reports.quality.review import rescore_final

RESULTS = (sc.PASS, sc.FAIL, sc.NA)
MAX_COMMENT = 2000


class CheckError(ValueError):
    """Bad spot-check input; the message names the field."""


def _decisions(review: QaReview, form: Mapping[str, str]) -> dict[str, tuple[str, str]]:
    problems: list[str] = []
    out: dict[str, tuple[str, str]] = {}
    for item in review.items:
        result = (form.get(f"result-{item.code}") or item.final).strip()
        comment = (form.get(f"comment-{item.code}") or "").strip()
        if result not in RESULTS:
            problems.append(f"result-{item.code}: one of pass, fail, na")
        elif result != item.result and not comment:
            problems.append(f"comment-{item.code}: say why the automatic result is overridden")
        elif len(comment) > MAX_COMMENT:
            problems.append(f"comment-{item.code}: at most {MAX_COMMENT} characters")
        out[item.code] = (result, comment)
    if len((form.get("comment") or "").strip()) > MAX_COMMENT:
        problems.append(f"comment: at most {MAX_COMMENT} characters")
    if problems:
        raise CheckError("; ".join(problems))
    return out


def complete(s: Session, lead: User, review: QaReview, form: Mapping[str, str]) -> list[str]:
    """Apply the lead's decisions and complete the check; returns the codes overridden."""
    decisions = _decisions(review, form)
    overridden = []
    for item in review.items:
        result, comment = decisions[item.code]
        item.lead_result, item.lead_comment = result, comment or None
        if result != item.result:
            overridden.append(item.code)
    review.checked_by_id, review.checked_at = lead.id, utcnow()
    review.comment = (form.get("comment") or "").strip() or None
    rescore_final(review)
    audit(s, lead.id, "qa_spot_check", target=f"call:{review.call_id}", review_id=review.id,
          overridden=overridden, score=review.score)
    return overridden


def can_see(user: User, review: QaReview) -> bool:
    """Leads and admins see every review; an agent sees the reviews of their own calls."""
    return user.role in ("lead", "admin") or review.agent_id == user.id


def transcript_rows(review: QaReview, lines: list[Any]) -> list[dict[str, Any]]:
    """Transcript sentences with the forbidden-phrase flags of the review aligned by time: a flag
    is listed under the sentence it starts in, and every sentence its words cover is marked."""
    flags = [e for i in review.items if i.code == "S" for e in i.evidence]
    rows = []
    for line in lines:
        at = round(line.at_s, 1)
        same_time = [f for f in flags if f.get("at_s") == at]
        own = [f for f in same_time if f.get("text") == line.text]
        bare = re.sub(r"[。.!?!?]+$", "", line.text)
        covered = bool(own) or any(bare and bare in str(f.get("matched") or "") for f in same_time)
        rows.append({"speaker": line.speaker, "text": line.text, "at": sc.clock(line.at_s), "at_s": line.at_s,
                     "flags": own, "flagged": covered})
    return rows

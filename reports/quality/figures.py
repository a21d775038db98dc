"""QA figures over a range of local dates: reviews per agent (mean score, spot-checked, items
passed) and per scorecard item (pass / fail / not applicable, pass rate), using each item's final
result (the lead's where a spot-check changed it). Also the rows of one review as the pages and the
API show them.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from statistics import mean
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from core.models import User
from reports.quality import scorecard as sc
from reports.quality.models import QaReview

MAX_REVIEWS = 50_000


def reviews_between(s: Session, first: date, last: date, agent_id: int | None = None) -> list[QaReview]:
    query = (select(QaReview).where(QaReview.day >= first, QaReview.day <= last)
             .options(selectinload(QaReview.items)).order_by(QaReview.day, QaReview.id).limit(MAX_REVIEWS))
    if agent_id is not None:
        query = query.where(QaReview.agent_id == agent_id)
    return list(s.scalars(query))


def _rate(counts: Counter[str]) -> float | None:
    judged = counts[sc.PASS] + counts[sc.FAIL]
    return None if not judged else counts[sc.PASS] / judged


def by_item(reviews: list[QaReview]) -> list[dict[str, Any]]:
    counts: dict[str, Counter[str]] = {code: Counter() for code in sc.ITEMS}
    for review in reviews:
        for item in review.items:
            counts.setdefault(item.code, Counter())[item.final] += 1
    return [{"item": code, "passed": c[sc.PASS], "failed": c[sc.FAIL], "not_applicable": c[sc.NA],
             "pass_rate": _rate(c)} for code, c in counts.items()]


def by_agent(s: Session, reviews: list[QaReview]) -> list[dict[str, Any]]:
    groups: dict[int | None, list[QaReview]] = {}
    for review in reviews:
        groups.setdefault(review.agent_id, []).append(review)
    users = {u.id: u for u in s.scalars(select(User).where(User.id.in_([a for a in groups if a is not None])))}
    rows = []
    for agent_id, own in groups.items():
        user = users.get(agent_id) if agent_id is not None else None
        scores = [r.score for r in own if r.score is not None]
        per_item = {i["item"]: i["pass_rate"] for i in by_item(own)}
        rows.append({"agent_id": agent_id, "agent": user.name if user else "—",
                     "display_name": (user.display_name or user.name) if user else "—",
                     "reviews": len(own), "checked": sum(1 for r in own if r.checked_at is not None),
                     "flagged": sum(1 for r in own if r.flagged), "mean_score": mean(scores) if scores else None,
                     "items": per_item})
    return sorted(rows, key=lambda r: r["agent"])


def user_names(s: Session, ids: set[int | None]) -> dict[int, str]:
    wanted = [i for i in ids if i is not None]
    rows = s.execute(select(User.id, User.name).where(User.id.in_(wanted))).all() if wanted else []
    return {uid: name for uid, name in rows}


def review_row(review: QaReview, agent_name: str | None = None) -> dict[str, Any]:
    """One review as the API and the CSV give it."""
    return {"id": review.id, "call_id": review.call_id, "agent_id": review.agent_id, "agent": agent_name,
            "day": review.day.isoformat(), "locale": review.locale, "score": review.score,
            "flagged": review.flagged, "complaint": review.complaint,
            "checked_at": review.checked_at.isoformat() if review.checked_at else None,
            "comment": review.comment,
            "items": [{"item": i.code, "result": i.result, "final": i.final, "note": i.note,
                       "evidence": i.evidence, "lead_comment": i.lead_comment} for i in review.items]}

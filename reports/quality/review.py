"""Scoring calls and storing the result: ``score_due`` (a scheduler tick hook) reviews every
answered call that ended at least ``quality.score_after_s`` ago and has no review yet — after
the call, never inside a webhook — and ``review_call`` scores one call on demand.

The facts come from the call record (wait, talk time, menu choice), the final transcript
utterances of the conversation (``agent_console.models.Utterance``, with the flags the live
library check stored) and the cases linked to the call.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta

from flask import Flask
from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from agent_console.models import Utterance
from core.config import Settings
from core.db import session_scope, utcnow
from core.models import Call, Case, CaseKind
from reports.periods import to_local
from reports.quality import phrases
from reports.quality import scorecard as sc
from reports.quality.models import QaItem, QaReview

log = logging.getLogger(__name__)
#: calls scored per scheduler tick, and the tick's time for them: the dialer runs after the hooks
#: in the same tick, so scoring takes small bites (a busy day's backlog drains over a few ticks)
BATCH = 20
TICK_BUDGET_S = 1.0
#: how far back the tick looks for unscored calls (keeps its query on recent calls; an older
#: call missed during an outage is scored when its day's spot-check list is opened)
LOOKBACK = timedelta(days=7)
#: legs that are not a conversation of their own (they belong to the caller's call)
NOT_CONVERSATIONS = ("agent_leg", "transfer")


def facts_of(s: Session, settings: Settings, call: Call) -> sc.CallFacts:
    locale = call.locale if call.locale in ("zh-CN", "en") else settings.company.default_locale
    start = call.answered_at or call.started_at
    rows = s.scalars(select(Utterance).where(Utterance.conversation_call_id == call.id, Utterance.final)
                     .order_by(Utterance.at, Utterance.id)).all()
    utterances = [(u.speaker, u.text, max(0.0, (u.at - start).total_seconds()), list(u.flags or ())) for u in rows]
    cases = s.execute(select(Case.ref, Case.kind).where(Case.call_id == call.id).order_by(Case.id)).all()
    talk = (call.ended_at - call.answered_at).total_seconds() if call.ended_at and call.answered_at else None
    return sc.CallFacts(locale=locale, lines=sc.lines_of(utterances), wait_s=call.wait_s, talk_s=talk,
                        menu_option=call.menu_option, cases=tuple((r, k) for r, k in cases),
                        outbound=call.direction != "inbound")


def review_call(s: Session, settings: Settings, call: Call) -> QaReview:
    """Score ``call`` and add its review to ``s`` (the caller commits)."""
    facts = facts_of(s, settings, call)
    limits = sc.Limits.from_settings(settings)
    book = phrases.build(facts.locale, phrases.company_context(settings, facts.locale), limits.share)
    items = sc.score(facts, book, limits)
    results = {i.code: i.result for i in items}
    review = QaReview(call_id=call.id, agent_id=call.agent_id, locale=facts.locale, scored_at=utcnow(),
                      day=to_local(call.started_at, settings.hours.zone).date(),
                      score=sc.points(list(results.values())), flagged=results["S"] == sc.FAIL,
                      complaint=call.menu_option == "complaint" or any(k == CaseKind.COMPLAINT for _, k in facts.cases))
    review.items = [QaItem(position=n, code=i.code, result=i.result, note=i.note, evidence=list(i.evidence))
                    for n, i in enumerate(items)]
    s.add(review)
    return review


def conversations():
    """Calls an agent answered (the caller's call, a call-back, a campaign call)."""
    return select(Call).where(Call.agent_id.is_not(None), Call.answered_at.is_not(None),
                              Call.purpose.not_in(NOT_CONVERSATIONS))


def unreviewed(ended_before: datetime):
    return conversations().where(Call.started_at >= ended_before - LOOKBACK, Call.ended_at.is_not(None),
                                 Call.ended_at <= ended_before,
                                 ~exists().where(QaReview.call_id == Call.id))


def score_due(app: Flask, now: datetime) -> int:
    """Review the calls that ended at least ``quality.score_after_s`` ago; returns how many."""
    settings: Settings = app.config["HOTLINE"]
    cutoff = now - timedelta(seconds=settings.quality.score_after_s)
    with session_scope(app) as s:
        ids = s.scalars(unreviewed(cutoff).with_only_columns(Call.id).order_by(Call.id).limit(BATCH)).all()
    began, done = time.monotonic(), 0
    for call_id in ids:
        done += ensure_review(app, settings, call_id)
        if time.monotonic() - began > TICK_BUDGET_S:
            break
    return done


def ensure_review(app: Flask, settings: Settings, call_id: int) -> int:
    """Review one call in a transaction of its own; 0 when another process got there first."""
    try:
        with session_scope(app) as s:
            call = s.get(Call, call_id)
            if call is None or s.scalar(select(QaReview.id).where(QaReview.call_id == call_id)) is not None:
                return 0
            review_call(s, settings, call)
    except IntegrityError:
        log.info("quality: call %s was reviewed by another process", call_id)
        return 0
    return 1


def rescore_final(review: QaReview) -> None:
    """The review's score from the final results (the lead's where given)."""
    review.score = sc.points([i.final for i in review.items])
    review.flagged = any(i.code == "S" and i.final == sc.FAIL for i in review.items)

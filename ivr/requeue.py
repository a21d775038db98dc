"""A caller transferred to a queue (a skill) by the agent: back in line, at the front.

The agent's cold transfer to a skill redirects the caller's call out of the room to
``/ivr/transfer/queue?skill=…``; the caller gets a new queue entry for that skill whose place
in line (``place_at``) is just before the earliest of everyone waiting — callers in line and
pending call-backs — so routing serves them next (at their priority, H5) and the wait loop
tells them they are number 1. The caller then waits with the usual reassurance (H3).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from twilio.twiml.voice_response import VoiceResponse

from core.models import CallbackRequest, CallbackStatus, QueueEntry
from ivr import queue, twiml
from ivr.calls import FINAL_STATUSES
from ivr.flow import HANDLERS, Step, to_voicemail

#: the skills a caller can be transferred to: the menu's options (not the language switch)
SKILLS = tuple(option for option in HANDLERS if option != "language")


def front_place(step: Step) -> datetime:
    """A moment before everyone now waiting (callers in line, pending call-backs), never later than now."""
    s = step.s
    earliest = [step.now]
    first_entry = s.scalar(select(func.min(QueueEntry.place_at)).where(QueueEntry.status.in_(queue.IN_LINE)))
    first_callback = s.scalar(select(func.min(CallbackRequest.original_joined_at))
                              .where(CallbackRequest.status == CallbackStatus.PENDING))
    earliest += [value for value in (first_entry, first_callback) if value is not None]
    return min(earliest) - timedelta(seconds=1)


def front_of_line(step: Step, skill: str) -> VoiceResponse:
    """The redirected caller: a new entry for ``skill`` at the front, then ``<Enqueue>``."""
    call = step.call
    if call is None or call.status in FINAL_STATUSES:
        return twiml.empty()
    if skill not in SKILLS:
        return to_voicemail(step, [step.text("error")], reason="error")
    entry = queue.join(step.s, step.settings, call, skill=skill, priority=call.priority or 0, now=step.now)
    entry.place_at = front_place(step)
    call.menu_option = skill
    step.event("transferred_to_queue", skill=skill, entry=entry.id)
    step.dispatch_after()
    return twiml.enqueue(step.settings, step.locale, [step.text("enqueue")], step.settings.queue.name,
                         wait_url=step.url("/ivr/queue/wait"), action=step.url("/ivr/queue/done"))

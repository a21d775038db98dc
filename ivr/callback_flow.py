"""Call-backs (H9) after the caller asked for one: confirming or typing the number, and the
customer's outbound leg (``callback_answer``: a machine → retry later; a person → the H20
introduction and the line at the original place, where the reserved agent takes them over
the same bridge as any caller, ``ivr.bridge``).
"""

from __future__ import annotations

from twilio.twiml.voice_response import VoiceResponse

from core.events import CallQueued, publish
from core.models import CallbackRequest, CallbackStatus, Presence, QueueEntry, QueueStatus
from core.phone import InvalidNumber, mask, to_e164
from ivr import prompts, queue, routing, twiml
from ivr.calls import FINAL_STATUSES
from ivr.flow import MACHINE_ANSWERS, Step, ask_number, cancel_offer_of, find_offer, to_voicemail
from ivr.models import OfferStatus


def _callback_saved(step: Step) -> VoiceResponse:
    return twiml.say_and_hangup(step.settings, step.locale,
                                [step.text("callback_saved"), step.text("closing")])  # H10


def callback_confirm(step: Step, callback_id: int, digits: str, silent: bool) -> VoiceResponse:
    request = step.s.get(CallbackRequest, callback_id) if callback_id > 0 else None
    if request is None:
        return twiml.say_and_hangup(step.settings, step.locale, [step.text("closing")])
    if digits[:1] == "2":
        return ask_number(step, entry_id=request.queue_entry_id or 0, callback_id=request.id)
    step.event("callback_confirmed", callback_id=request.id, silent=silent)
    return _callback_saved(step)


def callback_number(step: Step, entry_id: int, callback_id: int, digits: str, tries: int) -> VoiceResponse:
    """Another number typed on the keypad (E.164-normalised); one pending request per number."""
    settings = step.settings
    try:
        phone = to_e164(digits, settings.campaigns.default_region)
    except InvalidNumber:
        if tries + 1 >= 2:
            request = step.s.get(CallbackRequest, callback_id) if callback_id > 0 else None
            if request is not None:
                return _callback_saved(step)  # keep the number we already had
            return to_voicemail(step, [step.text("callback_bad_number"), step.text("leave_message")],
                              reason="callback_number")
        return ask_number(step, entry_id, callback_id, [step.text("callback_bad_number")], tries + 1)
    request = step.s.get(CallbackRequest, callback_id) if callback_id > 0 else None
    if request is not None:
        kept = queue.change_callback_number(step.s, request, phone)
        step.event("callback_number", callback_id=kept.id, phone=mask(phone))
        return _callback_saved(step)
    entry = step.s.get(QueueEntry, entry_id) if entry_id > 0 else None
    if entry is None or step.call is None or entry.call_id != step.call.id:
        return twiml.say_and_hangup(settings, step.locale, [step.text("error"), step.text("closing")])
    request, created = queue.request_callback(step.s, phone=phone, reason="queue", entry=entry,
                                              caller_id=step.call.caller_id, now=step.now)
    step.event("callback_created" if created else "callback_exists", callback_id=request.id, phone=mask(phone))
    return _callback_saved(step) if created else twiml.say_and_hangup(
        settings, step.locale, [step.text("callback_exists"), step.text("closing")])


def callback_answer(step: Step, offer_id: int, answered_by: str) -> VoiceResponse:
    """The call-back customer answered: a machine → retry later; a person → H20 introduction,
    then the line at their original place (already offered to the reserved agent, whose leg
    is placed now)."""
    s, settings = step.s, step.settings
    offer = find_offer(step, offer_id)
    if offer is None or offer.callback is None or offer.status != OfferStatus.DIALING_CUSTOMER:
        return twiml.say_and_hangup(settings, step.locale, [step.text("closing")])
    request = offer.callback
    step.locale = prompts.locale_of(request.locale, settings)
    if answered_by in MACHINE_ANSWERS:
        step.event("callback_machine", answered_by=answered_by)
        routing.release_agent(s, offer.agent, Presence.AVAILABLE)
        queue.callback_attempt_failed(s, settings, request, step.now, answered_by)
        routing.close_offer(offer, OfferStatus.FAILED, step.now, answered_by)
        step.dispatch_after()
        response = VoiceResponse()
        response.hangup()
        return response
    call = step.call
    assert call is not None
    call.purpose = "callback"
    call.caller_id = call.caller_id or request.caller_id
    call.locale = step.locale
    call.menu_option = request.skill
    call.priority = request.priority
    entry = QueueEntry(call=call, queue_name=settings.queue.name, skill=request.skill, locale=request.locale,
                       priority=request.priority, joined_at=request.original_joined_at,
                       place_at=request.original_joined_at,  # keeps its place
                       status=QueueStatus.OFFERED, agent_id=offer.agent_id)
    s.add(entry)
    s.flush()
    offer.queue_entry = entry
    offer.caller_call_sid = call.call_sid
    offer.status = OfferStatus.RINGING
    request.status = CallbackStatus.CONNECTED
    publish(s, CallQueued(call_sid=call.call_sid, callback=True))
    intro = "recovery_intro" if request.reason == "abandoned" else "callback_intro"
    text = step.text(intro)
    step.event("callback_answered", callback_id=request.id, answered_by=answered_by or None, text=text)
    # The reserved agent's leg is placed at the customer's first waitUrl fetch (see ``wait``),
    # when the customer is surely in Twilio's queue and can be dequeued.
    return twiml.enqueue(settings, step.locale, [text], settings.queue.name,
                         wait_url=step.url("/ivr/queue/wait"), action=step.url("/ivr/queue/done"))


def callback_status(step: Step, offer_id: int, status: str) -> None:
    """Status callback of a call-back's customer leg."""
    offer = find_offer(step, offer_id)
    if offer is None or offer.callback is None or status not in FINAL_STATUSES:
        return
    if offer.status == OfferStatus.DIALING_CUSTOMER:  # never answered
        routing.release_agent(step.s, offer.agent, Presence.AVAILABLE)
        queue.callback_attempt_failed(step.s, step.settings, offer.callback, step.now, status)
        routing.close_offer(offer, OfferStatus.FAILED, step.now, status)
        step.dispatch_after()
        return
    entry = offer.queue_entry
    if entry is not None and entry.status in queue.IN_LINE:  # hung up while waiting for the agent
        cancel_offer_of(step, entry)
        queue.end_entry(entry, QueueStatus.ABANDONED, step.now)
        queue.callback_attempt_failed(step.s, step.settings, offer.callback, step.now, "hung up")
        step.dispatch_after()

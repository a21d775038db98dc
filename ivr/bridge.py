"""The bridge: caller and agent meet in a conference named for the caller's call.

The path of one call: the caller waits in ``<Enqueue>`` (``ivr.flow``); an offer rings the
agent (``ivr.routing``); when the agent answers (``agent_answer``) the agent's leg hears the
whisper, starts the live transcript and joins the room ``call-<caller CallSid>``; after the
response the caller's call is redirected (REST) out of the line to ``handoff`` — "connecting
you to agent N" — and joins the same room. Twilio requests the line's ``<Enqueue>`` action at
once with ``QueueResult=redirected`` (ignored by ``flow.queue_done``). The caller's
participant ends the room when it leaves; the agent's does not (a transfer keeps the call).
Conference events (``conference_status``) put the conference SID on the call and each
participant event on its timeline. Every REST request runs after the webhook's response.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session
from twilio.twiml.voice_response import VoiceResponse

from core.events import CallAnswered, ParticipantChanged, publish
from core.models import Call, CallbackStatus, Presence, QueueStatus
from core.telephony.gateway import GatewayError, get_gateway
from ivr import bridge_twiml, prompts, queue, recording, routing, twiml
from ivr.calls import FINAL_STATUSES, add_event
from ivr.flow import Step, bring_caller, caller_hung_up, find_offer, rejoin
from ivr.models import Offer, OfferStatus

ROOM_PREFIX = "call-"
SUPERVISOR_LABEL = "lead"  # the participant label of a lead listening, coaching or barged in


def room_name(caller_call_sid: str) -> str:
    """The conference of one call (Twilio's friendly names are free text; CallSids are 34)."""
    return ROOM_PREFIX + caller_call_sid


def room_call_sid(friendly_name: str) -> str | None:
    return friendly_name[len(ROOM_PREFIX):] if friendly_name.startswith(ROOM_PREFIX) else None


def end_room(app: Flask, room: str) -> None:
    """End the room if it is still on (the caller then hears the closing and the call ends)."""
    try:
        get_gateway(app).end_conference(room)
    except GatewayError:
        app.logger.info("conference %s already over", room)


def hand_over(s: Session, call: Call, now: datetime) -> Offer | None:
    """A transfer takes the call from the agent who answered it: the offer is done and the agent
    goes to wrap-up, so the agent's leg leaving the room (``dial_done``/``agent_status``) no
    longer ends it — only a *bridged* offer's agent leaving does. The caller leaving still ends
    it (the caller's ``endConferenceOnExit``). None when no bridged offer holds the call (it was
    handed over already)."""
    offer = s.scalar(select(Offer).where(Offer.caller_call_sid == call.call_sid,
                                         Offer.status == OfferStatus.BRIDGED).order_by(Offer.id.desc()).limit(1))
    if offer is not None:
        routing.finish_bridge(s, offer, now)
    return offer


# -- the agent's leg ---------------------------------------------------------------------------

def agent_answer(step: Step, offer_id: int) -> VoiceResponse:
    """The agent picked up: whisper, transcript, into the room; the caller follows (REST, after)."""
    s, settings = step.s, step.settings
    offer = find_offer(step, offer_id)
    agent_locale = settings.company.default_locale
    gone = [prompts.text(settings, "agent_caller_gone", agent_locale)]
    if offer is None or offer.status != OfferStatus.RINGING or offer.queue_entry is None:
        return twiml.say_and_hangup(settings, agent_locale, gone)
    entry = offer.queue_entry
    caller_call = entry.call
    if entry.status != QueueStatus.OFFERED or caller_call.status in FINAL_STATUSES:
        routing.caller_gone(s, offer, step.now)
        step.dispatch_after()
        return twiml.say_and_hangup(settings, agent_locale, gone)
    offer.status = OfferStatus.ANSWERED
    offer.answered_at = step.now
    waited = round((step.now - entry.joined_at).total_seconds())
    option = prompts.option_label(settings, entry.skill, agent_locale)
    whisper_id = "agent_whisper_callback" if offer.kind == "callback" else "agent_whisper"
    whisper = [prompts.text(settings, whisper_id, agent_locale, option=option, wait_s=waited)]
    if waited > settings.answer.threshold_s:  # H2: waited more than three rings → apologise first
        apology = prompts.text(settings, "apology_opener", entry.locale or agent_locale)
        whisper.append(prompts.text(settings, "agent_apology_hint", agent_locale, apology=apology))
    add_event(s, caller_call, "agent_answered", agent=offer.agent.name, agent_code=offer.agent.agent_code)
    if entry.reassurances:  # in Twilio's queue already (its wait URL ran): bring the caller now;
        # else the caller's first wait-URL fetch does (``hotpath._reserved_agent``)
        agent_sid = step.call.call_sid if step.call is not None else None
        step.after.append(partial(bring_caller, caller_sid=caller_call.call_sid, agent_sid=agent_sid,
                                  url=step.url("/ivr/queue/handoff", offer=offer.id)))
    voice = settings.voices[entry.locale or agent_locale]
    return bridge_twiml.agent_conference(
        settings, agent_locale, whisper, room=room_name(caller_call.call_sid),
        dial_action=step.url("/ivr/agent/dial-done", offer=offer.id), status_url=step.url("/ivr/conference/status"),
        transcription_url=step.url("/ivr/transcription"), transcription_language=voice.gather_language)


def agent_status(step: Step, offer_id: int, status: str) -> None:
    """Status callback of the agent's leg: no-answer / busy / failed → the agent is set away
    and the caller is offered to the next agent; a hang-up after the bridge → wrap-up, and the
    room ends (the caller hears the closing)."""
    offer = find_offer(step, offer_id)
    if offer is None or status not in FINAL_STATUSES:
        return
    if offer.status == OfferStatus.RINGING:
        routing.agent_missed(step.s, offer, step.now, status)
    elif offer.status == OfferStatus.ANSWERED:
        routing.close_offer(offer, OfferStatus.CANCELLED, step.now, "agent hung up")
        routing.back_in_line(offer)
        routing.release_agent(step.s, offer.agent, Presence.AVAILABLE)
    elif offer.status == OfferStatus.BRIDGED and not _agent_got_in(offer):
        # hung up during the whisper: the caller, waiting in the room, goes back in line
        routing.close_offer(offer, OfferStatus.CANCELLED, step.now, "agent left before the bridge")
        routing.release_agent(step.s, offer.agent, Presence.AVAILABLE)
        if offer.caller_call_sid:
            step.after.append(partial(bring_caller, caller_sid=offer.caller_call_sid, agent_sid=None,
                                      url=step.url("/ivr/queue/handoff", offer=offer.id)))
    elif offer.status == OfferStatus.BRIDGED:
        routing.finish_bridge(step.s, offer, step.now)
        _end_room_after(step, offer)
    step.dispatch_after()


def _agent_got_in(offer: Offer) -> bool:
    """Did the agent's participant join the call's room (its conference event is on the call)?"""
    call = offer.queue_entry.call if offer.queue_entry is not None else None
    return call is not None and any(
        e.kind == "conference" and (e.detail or {}).get("event") == "participant-join"
        and (e.detail or {}).get("label") == "agent" for e in call.events)


def _end_room_after(step: Step, offer: Offer) -> None:
    """The agent of a bridged offer left the room (hung up): end it after the response — the
    caller hears the closing (its Dial action) — unless it is over already (the caller left
    first). After a transfer the offer is done (``hand_over``) and this is not reached."""
    if offer.caller_call_sid:
        step.after.append(partial(end_room, room=room_name(offer.caller_call_sid)))


def dial_done(step: Step, offer_id: int, dial_status: str) -> VoiceResponse:
    """The agent's ``<Dial>`` ended (the agent hung up, or the room ended): wrap-up and the room
    ends; or the caller never came (back in line)."""
    offer = find_offer(step, offer_id)
    if offer is not None:
        if offer.status == OfferStatus.BRIDGED:
            routing.finish_bridge(step.s, offer, step.now)
            _end_room_after(step, offer)
        elif offer.status in (OfferStatus.ANSWERED, OfferStatus.RINGING):
            routing.close_offer(offer, OfferStatus.CANCELLED, step.now, f"dial {dial_status}"[:40])
            routing.back_in_line(offer)
            routing.release_agent(step.s, offer.agent, Presence.AVAILABLE)
        step.dispatch_after()
    response = VoiceResponse()
    response.hangup()
    return response


# -- the caller ------------------------------------------------------------------------------

def handoff(step: Step, offer_id: int) -> VoiceResponse:
    """The caller, redirected out of the line: "connecting you to agent N", then the room.
    If the agent went away meanwhile, back in the line at the same place."""
    offer = find_offer(step, offer_id)
    if offer is not None and offer.status == OfferStatus.BRIDGED and step.call is not None \
            and offer.caller_call_sid == step.call.call_sid:  # the redirect came twice
        return _caller_room(step, offer)
    if offer is None or offer.status != OfferStatus.ANSWERED or offer.queue_entry is None:
        return rejoin(step, offer)
    entry = offer.queue_entry
    agent = offer.agent
    offer.status = OfferStatus.BRIDGED
    offer.bridged_at = step.now
    offer.caller_call_sid = entry.call.call_sid
    queue.end_entry(entry, QueueStatus.BRIDGED, step.now)
    entry.agent_id = agent.id
    call = entry.call
    call.answered_at = step.now
    call.agent_id = agent.id
    call.queue_result = "bridged"
    call.wait_s = max(0.0, (step.now - entry.joined_at).total_seconds())
    add_event(step.s, call, "connected", agent=agent.name, agent_code=agent.agent_code, waited_s=round(call.wait_s))
    publish(step.s, CallAnswered(call_sid=call.call_sid, agent_id=agent.id))
    if offer.callback is not None:
        offer.callback.status = CallbackStatus.CONNECTED
    return _caller_room(step, offer, recording.before_bridge(step))  # the disclosure first, if recorded


def _caller_room(step: Step, offer: Offer, first: list[str] | None = None) -> VoiceResponse:
    code = offer.agent.agent_code or offer.agent.name
    return bridge_twiml.caller_conference(
        step.settings, step.locale, [*(first or []), step.text("connecting", agent_code=code)],
        room=room_name(offer.caller_call_sid or ""), dial_action=step.url("/ivr/queue/done", offer=offer.id),
        status_url=step.url("/ivr/conference/status"))


def handoff_done(step: Step, offer_id: int, result: str) -> VoiceResponse:
    """The caller's ``<Dial>`` left the room (the room ended, or the caller hung up)."""
    offer = find_offer(step, offer_id)
    step.event("handoff_result", result=result or "completed", offer=offer_id)
    if offer is None:
        return twiml.empty()
    if offer.status in (OfferStatus.BRIDGED, OfferStatus.DONE):
        routing.finish_bridge(step.s, offer, step.now)
        step.dispatch_after()
        return twiml.say_and_hangup(step.settings, step.locale, [step.text("closing")])  # H10
    return rejoin(step, offer)


def caller_status(step: Step, status: str) -> None:
    """A call ended: an agent's leg → ``agent_status``; a caller still in line → abandoned; a
    caller bridged → its room ends too (in case it hung up before joining it)."""
    if status not in FINAL_STATUSES or step.call is None:
        return
    if step.call.purpose == "agent_leg":
        offer = routing.offer_for_agent_leg(step.s, step.call.call_sid)
        if offer is not None:
            agent_status(step, offer.id, status)
        return
    entry = step.active_entry()
    if entry is not None and entry.status == QueueStatus.BRIDGED:
        step.after.append(partial(end_room, room=room_name(step.call.call_sid)))
        return
    caller_hung_up(step, entry)  # (an agent's leg ending dispatches through ``agent_status``)


# -- conference events -------------------------------------------------------------------------

def conference_event(step: Step, *, conference_sid: str, event: str, label: str, participant: str,
                     muted: str, hold: str, sequence: int, reason: str, coaching: str = "") -> None:
    """Keep the conference SID on the call and note the event on its timeline; a participant
    joining the room of a call that has ended (the caller hung up on the way) ends the room.
    A lead's participant (label ``lead``: listening, coaching, barged in) changes the pages."""
    call = step.call
    if call is None or not event:
        return
    if conference_sid and call.conference_sid != conference_sid:
        call.conference_sid = conference_sid
    if event == "participant-join" and call.status in FINAL_STATUSES:
        # the caller hung up before the agent got in: the agent would wait in a new, empty room
        step.after.append(partial(end_room, room=room_name(call.call_sid)))
    step.event("conference", event=event, label=label or None, call_sid=participant or None,
               muted=muted == "true" if muted else None, hold=hold == "true" if hold else None,
               coaching=coaching == "true" if coaching else None, sequence=sequence, reason=reason or None)
    if label == SUPERVISOR_LABEL:
        publish(step.s, ParticipantChanged(call_sid=call.call_sid, agent_id=call.agent_id))

"""The Conferences and Participants REST resources (added to the REST blueprint by ``rest.py``).

Documented behaviour followed: conferences are listed (filters ``FriendlyName``, ``Status``
= ``init``/``in-progress``/``completed``), fetched and updated (``Status=completed`` ends
it: ``conference-ended-via-API``; ``AnnounceUrl`` plays to every participant). Participants
are addressed by CallSid or by label; create dials ``To`` into the conference (the path
may name the conference by SID or, as Twilio allows, by friendly name: created if need be)
with ``Label``, ``Muted``, ``Beep``, ``StartConferenceOnEnter``, ``EndConferenceOnExit``,
``Coaching``/``CallSidToCoach``, ``WaitUrl``, ``ConferenceStatusCallback[Event|Method]``,
``ConferenceRecord`` and the new call's ``StatusCallback[Event|Method]``, ``Timeout``,
``MachineDetection``; update sets ``Muted``, ``Hold``/``HoldUrl``/``HoldMethod`` (default
GET), ``Coaching``/``CallSidToCoach`` (error 16027 when the coach or the coached call is on
hold), ``EndConferenceOnExit``, ``WaitUrl``, ``AnnounceUrl``; delete removes the call from
the conference (its Dial ends; the call goes on with the next TwiML).

Assumption: a participant being dialed is not listed until its call answers and joins.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from flask import Blueprint, Response, jsonify, request
from werkzeug.datastructures import MultiDict

from .calls import RestError, create_call
from .conf_records import ConferenceState, Participant, flag
from .conference import end, event, find_active, leave, named, open_conference
from .records import rfc2822, wall
from .signals import Announce, ConferenceChanged

if TYPE_CHECKING:
    from .engine import Simulator

API = "/2010-04-01/Accounts/<account_sid>"
Page = Callable[[str, list[dict[str, Any]], str], dict[str, Any]]
CALL_OPTIONS = ("StatusCallback", "StatusCallbackMethod", "Timeout", "MachineDetection",
                "MachineDetectionTimeout")
#: REST parameter → ``<Conference>`` attribute, for a participant dialed in
NOUN_OPTIONS = {"Label": "participantLabel", "Muted": "muted", "Beep": "beep",
                "StartConferenceOnEnter": "startConferenceOnEnter", "EndConferenceOnExit": "endConferenceOnExit",
                "WaitUrl": "waitUrl", "WaitMethod": "waitMethod", "ConferenceStatusCallback": "statusCallback",
                "ConferenceStatusCallbackMethod": "statusCallbackMethod", "ConferenceRecord": "record",
                "ConferenceRecordingStatusCallback": "recordingStatusCallback"}


def conference_json(sim: Simulator, conf: ConferenceState) -> dict[str, Any]:
    uri = f"/2010-04-01/Accounts/{sim.account_sid}/Conferences/{conf.sid}"
    return {"sid": conf.sid, "account_sid": sim.account_sid, "friendly_name": conf.friendly_name,
            "status": conf.status, "region": "us1", "api_version": "2010-04-01",
            "date_created": rfc2822(conf.created_at), "date_updated": rfc2822(wall(sim.start_time, sim.now)),
            "reason_conference_ended": conf.reason_ended, "call_sid_ending_conference": conf.call_sid_ending,
            "uri": uri + ".json", "subresource_uris": {"participants": uri + "/Participants.json",
                                                       "recordings": uri + "/Recordings.json"}}


def participant_json(sim: Simulator, conf: ConferenceState, p: Participant, status: str = "connected") -> dict[str, Any]:
    uri = f"/2010-04-01/Accounts/{sim.account_sid}/Conferences/{conf.sid}/Participants/{p.call_sid}.json"
    return {"account_sid": sim.account_sid, "call_sid": p.call_sid, "conference_sid": conf.sid,
            "label": p.label, "muted": p.muted, "hold": p.hold, "coaching": p.coaching,
            "call_sid_to_coach": p.call_sid_to_coach, "start_conference_on_enter": p.start_on_enter,
            "end_conference_on_exit": p.end_on_exit, "status": status, "queue_time": None,
            "date_created": rfc2822(p.joined_at), "date_updated": rfc2822(wall(sim.start_time, sim.now)),
            "uri": uri}


def _conference(sim: Simulator, sid: str) -> ConferenceState:
    conf = sim.conferences.get(sid)
    if conf is None:
        raise RestError(404, 20404, f"The requested resource /Conferences/{sid}.json was not found")
    return conf


def _participant(conf: ConferenceState, key: str) -> Participant:
    p = conf.find(key)
    if p is None:
        raise RestError(404, 20404, f"The requested resource /Conferences/{conf.sid}/Participants/{key}.json "
                                    "was not found")
    return p


# -- changes -----------------------------------------------------------------------------------
def update_conference(sim: Simulator, conf: ConferenceState, form: Any) -> None:
    status = form.get("Status")
    if status and status != "completed":
        raise RestError(400, 20001, f"Invalid Status {status}: only completed")
    if form.get("AnnounceUrl"):
        for p in conf.participants.values():
            sim.interrupt(sim.legs[p.call_sid], Announce(form["AnnounceUrl"], form.get("AnnounceMethod") or "POST"))
    if status == "completed":
        end(sim, conf, "conference-ended-via-API", None)


def update_participant(sim: Simulator, conf: ConferenceState, p: Participant, form: Any) -> None:
    leg = sim.legs[p.call_sid]
    muted = flag(form.get("Muted"), p.muted) if "Muted" in form else p.muted
    hold = flag(form.get("Hold"), p.hold) if "Hold" in form else p.hold
    coaching = flag(form.get("Coaching"), p.coaching) if "Coaching" in form else p.coaching
    to_coach = (form.get("CallSidToCoach") or p.call_sid_to_coach) if coaching else None
    if coaching:
        target = conf.participants.get(to_coach or "")
        if target is None:
            raise RestError(400, 20001, "CallSidToCoach must be a participant of this conference")
        if hold or target.hold:
            raise RestError(400, 16027, "A participant on hold cannot coach or be coached")
    end_on_exit = flag(form.get("EndConferenceOnExit"), p.end_on_exit) if "EndConferenceOnExit" in form \
        else p.end_on_exit
    modified = (coaching, to_coach, end_on_exit) != (p.coaching, p.call_sid_to_coach, p.end_on_exit)
    p.coaching, p.call_sid_to_coach, p.end_on_exit = coaching, to_coach, end_on_exit
    if form.get("WaitUrl"):
        p.wait_url, p.wait_method = form["WaitUrl"], (form.get("WaitMethod") or "POST").upper()
    if form.get("HoldUrl"):
        p.hold_url, p.hold_method = form["HoldUrl"], (form.get("HoldMethod") or "GET").upper()
    if muted != p.muted:
        p.muted = muted
        sim.record(leg, "mute" if muted else "unmute")
        event(sim, conf, "participant-mute" if muted else "participant-unmute", p)
    if hold != p.hold:
        p.hold = hold
        sim.record(leg, "hold" if hold else "unhold", url=p.hold_url if hold else None)
        event(sim, conf, "participant-hold" if hold else "participant-unhold", p)
        sim.interrupt(leg, ConferenceChanged())
    if modified:
        sim.record(leg, "coach" if coaching else "modify", call_sid=to_coach)
        event(sim, conf, "participant-modify", p)
    if form.get("AnnounceUrl"):
        sim.interrupt(leg, Announce(form["AnnounceUrl"], form.get("AnnounceMethod") or "POST"))


def create_participant(sim: Simulator, conf_key: str, form: Any) -> tuple[ConferenceState, dict[str, Any]]:
    conf = sim.conferences.get(conf_key) or find_active(sim, conf_key)
    if conf is None and conf_key.startswith("CF"):
        raise RestError(404, 20404, f"The requested resource /Conferences/{conf_key}.json was not found")
    conf = conf or open_conference(sim, conf_key)
    attrs = {attr: str(form[key]) for key, attr in NOUN_OPTIONS.items() if form.get(key)}
    events = " ".join(form.getlist("ConferenceStatusCallbackEvent"))
    if events:
        attrs["statusCallbackEvent"] = events
    if flag(form.get("Coaching")) and form.get("CallSidToCoach"):
        attrs["coach"] = form["CallSidToCoach"]
    noun = ET.Element("Conference", attrs)
    noun.text = conf.friendly_name
    dial = ET.Element("Dial")
    dial.append(noun)
    response = ET.Element("Response")
    response.append(dial)
    call_form: MultiDict[str, str] = MultiDict()
    call_form.update({"To": form.get("To") or "", "From": form.get("From") or "",
                      "Twiml": ET.tostring(response, encoding="unicode")})
    for key in CALL_OPTIONS:
        if form.get(key):
            call_form[key] = form[key]
    call_form.setlist("StatusCallbackEvent", form.getlist("StatusCallbackEvent"))
    leg = create_call(sim, call_form)
    pending = Participant(call_sid=leg.sid, joined_t=sim.now, joined_at=wall(sim.start_time, sim.now),
                          label=form.get("Label") or None, muted=flag(form.get("Muted")),
                          coaching="coach" in attrs, call_sid_to_coach=attrs.get("coach"),
                          start_on_enter=flag(form.get("StartConferenceOnEnter"), True),
                          end_on_exit=flag(form.get("EndConferenceOnExit")))
    return conf, participant_json(sim, conf, pending, status="queued")


# -- routes ------------------------------------------------------------------------------------
def add_conference_routes(bp: Blueprint, sim: Simulator, page: Page) -> None:
    base = f"{API}/Conferences"

    @bp.get(f"{base}.json")
    def conferences_list(account_sid: str) -> Response:
        with sim.lock:
            name, status = request.args.get("FriendlyName"), request.args.get("Status")
            every = sim.conferences.values() if name is None else named(sim, name)
            confs = [c for c in reversed(every) if status is None or c.status == status]
            uri = f"/2010-04-01/Accounts/{account_sid}/Conferences.json"
            return jsonify(page("conferences", [conference_json(sim, c) for c in confs], uri))

    @bp.get(f"{base}/<sid>.json")
    def conferences_fetch(account_sid: str, sid: str) -> Response:
        with sim.lock:
            return jsonify(conference_json(sim, _conference(sim, sid)))

    @bp.post(f"{base}/<sid>.json")
    def conferences_update(account_sid: str, sid: str) -> Response:
        with sim.lock:
            conf = _conference(sim, sid)
            update_conference(sim, conf, request.form)
            return jsonify(conference_json(sim, conf))

    @bp.get(f"{base}/<sid>/Participants.json")
    def participants_list(account_sid: str, sid: str) -> Response:
        with sim.lock:
            conf = _conference(sim, sid)
            wanted = {k: flag(request.args[k]) for k in ("Muted", "Hold", "Coaching") if k in request.args}
            items = [participant_json(sim, conf, p) for p in conf.participants.values()
                     if all(getattr(p, k.lower()) == v for k, v in wanted.items())]
            uri = f"/2010-04-01/Accounts/{account_sid}/Conferences/{sid}/Participants.json"
            return jsonify(page("participants", items, uri))

    @bp.post(f"{base}/<sid>/Participants.json")
    def participants_create(account_sid: str, sid: str) -> tuple[Response, int]:
        sim.rest_latency()
        with sim.lock:
            _, body = create_participant(sim, sid, request.form)
            return jsonify(body), 201

    @bp.get(f"{base}/<sid>/Participants/<key>.json")
    def participants_fetch(account_sid: str, sid: str, key: str) -> Response:
        with sim.lock:
            conf = _conference(sim, sid)
            return jsonify(participant_json(sim, conf, _participant(conf, key)))

    @bp.post(f"{base}/<sid>/Participants/<key>.json")
    def participants_update(account_sid: str, sid: str, key: str) -> Response:
        with sim.lock:
            conf = _conference(sim, sid)
            p = _participant(conf, key)
            update_participant(sim, conf, p, request.form)
            return jsonify(participant_json(sim, conf, p))

    @bp.delete(f"{base}/<sid>/Participants/<key>.json")
    def participants_delete(account_sid: str, sid: str, key: str) -> tuple[str, int]:
        with sim.lock:
            conf = _conference(sim, sid)
            p = _participant(conf, key)
            leave(sim, sim.legs[p.call_sid], kicked=True)
            return "", 204

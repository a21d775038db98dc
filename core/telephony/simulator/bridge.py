"""Two legs talking: bridge/unbridge, and the real-time transcription of what they say.

A party's scripted ``utterances`` start when its leg is first bridged (or, for a call
placed through the REST API, when it is answered). A line spoken on a leg reaches the
``<Start><Transcription>`` sessions of that leg as ``inbound_track`` and those of the
bridged peer as ``outbound_track`` (filtered by each session's ``track``). In a conference,
the line reaches the participants who hear the speaker (mute, hold and coaching rules in
``conf_records``): each gets a ``heard`` timeline entry and it reaches their sessions as
``outbound_track``.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from .conf_records import listeners
from .lifecycle import hangup
from .records import Leg, iso8601, new_sid, wall
from .signals import Bridged, Unbridged

if TYPE_CHECKING:
    from .engine import Simulator

SPEECH_CONFIDENCE = 0.9


def bridge(sim: Simulator, a: Leg, b: Leg) -> None:
    """Connect ``a`` and ``b``; both programs get ``Bridged``."""
    for leg, peer in ((a, b), (b, a)):
        leg.bridged_with, leg.bridged_t = peer.sid, sim.now
        sim.record(leg, "bridged", **{"with": peer.who, "call_sid": peer.sid})
        if leg.party.talk_s is not None:
            def done(leg: Leg = leg) -> None:
                with sim.lock:
                    if not leg.ended:
                        hangup(sim, leg, by="party")

            leg.bridge_timers.append(sim.schedule(leg.party.talk_s, done, f"{leg.sid} talk over"))
        schedule_utterances(sim, leg)
    sim.interrupt(a, Bridged(b.sid))
    sim.interrupt(b, Bridged(a.sid))


def unbridge(sim: Simulator, a: Leg, b: Leg, reason: str, notify: tuple[Leg, ...] | None = None) -> None:
    """Disconnect; each leg in ``notify`` (default both) gets ``Unbridged`` and goes on."""
    for leg, peer in ((a, b), (b, a)):
        if leg.bridged_with != peer.sid:
            continue
        leg.bridged_with = None
        sim.record(leg, "unbridged", **{"with": peer.who, "call_sid": peer.sid, "reason": reason})
        for timer in leg.bridge_timers:
            timer.cancel()
        leg.bridge_timers.clear()
    for leg in notify if notify is not None else (a, b):
        peer = b if leg is a else a
        sim.interrupt(leg, Unbridged(peer.sid, reason))


def leg_gone(sim: Simulator, leg: Leg) -> None:
    """The leg ended: its bridge (if any) is over and its transcriptions stop."""
    if leg.bridged_with:
        peer = sim.legs[leg.bridged_with]
        unbridge(sim, leg, peer, "hangup")
    stop_transcriptions(sim, leg)


def schedule_utterances(sim: Simulator, leg: Leg) -> None:
    party = leg.party
    if party.utterances_scheduled or not party.utterances:
        return
    party.utterances_scheduled = True
    for after, text in party.utterances:
        def say(text: str = text) -> None:
            with sim.lock:
                if not leg.ended:
                    speak(sim, leg, text, "inbound_track")

        leg.timers.append(sim.schedule(after, say, f"{leg.sid} utterance"))


# -- <Start><Transcription> ------------------------------------------------------------------
def start_transcription(sim: Simulator, leg: Leg, attrs: dict[str, str]) -> None:
    name = attrs.get("name") or new_sid("GT")
    session = {"sid": new_sid("GT"), "name": name, "url": attrs.get("statusCallbackUrl", ""),
               "method": (attrs.get("statusCallbackMethod") or "POST").upper(),
               "track": attrs.get("track") or "both_tracks",
               "language": attrs.get("languageCode") or "en-US",
               "partial": (attrs.get("partialResults") or "false").lower() == "true", "seq": 0}
    leg.transcriptions[name] = session
    sim.record(leg, "transcription", event="started", name=name, track=session["track"],
               language=session["language"])
    _event(sim, leg, session, "transcription-started", {})


def stop_transcription(sim: Simulator, leg: Leg, name: str | None) -> None:
    for key in [name] if name else list(leg.transcriptions):
        session = leg.transcriptions.pop(key or "", None)
        if session is not None:
            sim.record(leg, "transcription", event="stopped", name=session["name"])
            _event(sim, leg, session, "transcription-stopped", {})


def stop_transcriptions(sim: Simulator, leg: Leg) -> None:
    stop_transcription(sim, leg, None)


def speak(sim: Simulator, leg: Leg, text: str, track: str) -> bool:
    """``text`` is said on ``leg``'s ``track``; emit it to every session that hears it."""
    other = "outbound_track" if track == "inbound_track" else "inbound_track"
    targets = [(leg, track)]
    if leg.bridged_with:
        targets.append((sim.legs[leg.bridged_with], other))
    conf = sim.conferences.get(leg.conference_sid or "") if track == "inbound_track" else None
    heard_by: list[str] | None = None
    if conf is not None:  # a conference: delivered by its audio rules (conf_records.heard_by)
        heard_by = listeners(conf, leg.sid)
        label = conf.participants[leg.sid].label
        for sid in heard_by:
            sim.record(sim.legs[sid], "heard", text=text, label=label, **{"from": leg.sid})
            targets.append((sim.legs[sid], other))
    sim.record(leg, "utterance", text=text, track=track, heard_by=heard_by)
    heard = False
    for target, as_track in targets:
        for session in list(target.transcriptions.values()):
            if session["track"] not in (as_track, "both_tracks"):
                continue
            heard = True
            if session["partial"]:
                half = text[: max(1, len(text) // 2)].strip()
                _content(sim, target, session, as_track, half, final=False)
            _content(sim, target, session, as_track, text, final=True)
    return heard


def _content(sim: Simulator, leg: Leg, session: dict[str, Any], track: str, text: str, final: bool) -> None:
    data = {"transcript": text, "confidence": SPEECH_CONFIDENCE}
    _event(sim, leg, session, "transcription-content",
           {"Track": track, "TranscriptionData": json.dumps(data, ensure_ascii=False),
            "Final": "true" if final else "false"})


def _event(sim: Simulator, leg: Leg, session: dict[str, Any], event: str, extra: dict[str, str]) -> None:
    if not session["url"]:
        return
    session["seq"] += 1
    params = {"AccountSid": leg.account_sid, "CallSid": leg.sid, "TranscriptionSid": session["sid"],
              "TranscriptionEvent": event, "SequenceId": str(session["seq"]),
              "Timestamp": iso8601(wall(sim.start_time, sim.now)), "LanguageCode": session["language"],
              "ProviderName": "Google", **extra}
    sim.fire(leg, session["url"], params, session["method"], kind="transcription")

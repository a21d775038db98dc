"""``<Dial><Conference>``: joining, waiting, hold, announcements, leaving, the conference's end.

Documented behaviour followed: a conference is created by its first participant and is
found by its friendly name while it has not ended; it starts (``conference-start``) when a
participant with ``startConferenceOnEnter`` (default true) is in — until then the others
hear ``waitUrl`` audio; it ends when its last participant leaves
(``last-participant-left``, or ``-kicked`` when removed through the REST API), when a
participant with ``endConferenceOnExit`` leaves (``participant-with-end-conference-on-exit-
left``/``-kicked``) or when updated to ``Status=completed`` (``conference-ended-via-API``);
then every remaining participant's ``<Dial>`` ends and its call goes on with the Dial
``action`` or the next verb. Status callbacks carry ``ConferenceSid``, ``FriendlyName``,
``AccountSid``, ``SequenceNumber``, ``Timestamp``, ``StatusCallbackEvent`` and, for
participant events, ``CallSid``, ``ParticipantLabel``, ``Muted``, ``Hold``, ``Coaching``,
``CallSidToCoach``, ``StartConferenceOnEnter``, ``EndConferenceOnExit``. A participant on hold
hears ``holdUrl`` (a WAV/MP3 or TwiML of Play, Say, Pause, Redirect), looped.

Assumptions (Twilio does not say): each participant's ``statusCallback`` subscribes that
URL (once per URL) to the events it names — ``start end`` when it names none; without
``waitUrl``/``holdUrl`` the participant hears Twilio's hold music, recorded as a ``play``
of ``HOLD_MUSIC_URL`` every ``HOLD_MUSIC_S``; a hold/wait document in which no time passes
is requested again after 1 s; a party's ``talk_s`` and ``utterances`` start when it is first
in a started conference with someone else; the Dial ``action`` after a conference gets
``DialCallStatus=completed`` and ``DialCallDuration`` (the time in the conference); an announcement that arrives while another
is still fetched or played to the same participant replaces it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .bridge import schedule_utterances
from .conf_records import COMPLETED, IN_PROGRESS, ConferenceState, Participant, Subscription, flag
from .lifecycle import hangup
from .records import new_sid, rfc2822, wall
from .signals import Announce, ConferenceChanged, ConferenceLeft, Doc, Fetch, Sleep, expecting
from .twiml import AUDIO, parse, redirect, resolve, run_verbs
from .wav import wav_seconds

if TYPE_CHECKING:
    from .engine import Simulator
    from .records import Leg
    from .twiml import Flow

HOLD_MUSIC_URL = "http://twimlets.com/holdmusic?Bucket=com.twilio.music.classical"
HOLD_MUSIC_S = 30.0
MP3_DEFAULT_S = 5.0
EVENTS = frozenset({"start", "end", "join", "leave", "mute", "hold", "modify", "speaker", "announcement"})
HOLD_VERBS = {**AUDIO, "Redirect": redirect}
#: each ``StatusCallbackEvent`` and the ``statusCallbackEvent`` word that subscribes to it
SUBSCRIBED_AS = {
    "conference-start": "start", "conference-end": "end", "participant-join": "join",
    "participant-leave": "leave", "participant-mute": "mute", "participant-unmute": "mute",
    "participant-hold": "hold", "participant-unhold": "hold", "participant-modify": "modify",
    "participant-speech-start": "speaker", "participant-speech-stop": "speaker",
    "announcement-end": "announcement", "announcement-fail": "announcement",
}


def named(sim: Simulator, name: str) -> list[ConferenceState]:
    """The conferences called ``name``, oldest first (``sim.conferences_by_name``: no scan of all)."""
    return sim.conferences_by_name.get(name, [])


def find_active(sim: Simulator, name: str) -> ConferenceState | None:
    return next((c for c in named(sim, name) if c.status != COMPLETED), None)


def open_conference(sim: Simulator, name: str) -> ConferenceState:
    conf = find_active(sim, name)
    if conf is None:
        conf = ConferenceState(sid=new_sid("CF"), friendly_name=name, created_t=sim.now,
                               created_at=wall(sim.start_time, sim.now))
        sim.conferences[conf.sid] = conf
        sim.conferences_by_name.setdefault(name, []).append(conf)
    return conf


def subscribe(conf: ConferenceState, url: str | None, events: str | None, method: str | None, owner: str) -> None:
    if not url or any(s.url == url for s in conf.subscriptions):
        return
    wanted = set((events or "start end").replace(",", " ").split()) & EVENTS
    conf.subscriptions.append(Subscription(url, wanted, (method or "POST").upper(), owner))


# -- the <Conference> noun ---------------------------------------------------------------------
def participant_from(sim: Simulator, leg: Leg, attrs: dict[str, str], url: str | None) -> Participant:
    coach = attrs.get("coach") or None
    return Participant(
        call_sid=leg.sid, joined_t=sim.now, joined_at=wall(sim.start_time, sim.now),
        label=attrs.get("participantLabel") or None, muted=flag(attrs.get("muted")),
        coaching=coach is not None, call_sid_to_coach=coach,
        start_on_enter=flag(attrs.get("startConferenceOnEnter"), True),
        end_on_exit=flag(attrs.get("endConferenceOnExit")), beep=attrs.get("beep") or "true",
        wait_url=resolve(url, attrs["waitUrl"]) if attrs.get("waitUrl") else None,
        wait_method=(attrs.get("waitMethod") or "POST").upper())


def join(sim: Simulator, leg: Leg, name: str, attrs: dict[str, str], url: str | None,
         ctx: dict[str, Any]) -> Flow:
    """Run one participant in conference ``name`` until it is out; returns the Dial's status."""
    conf = open_conference(sim, name)
    callback = resolve(url, attrs["statusCallback"]) if attrs.get("statusCallback") else None
    subscribe(conf, callback, attrs.get("statusCallbackEvent"), attrs.get("statusCallbackMethod"), leg.sid)
    if attrs.get("record") and not conf.participants:
        conf.record = attrs["record"]
        conf.recording_status_callback = attrs.get("recordingStatusCallback")
    p = participant_from(sim, leg, attrs, url)
    conf.participants[leg.sid] = p
    leg.conference_sid = conf.sid
    ctx["bridged_t"] = sim.now
    sim.record(leg, "conference", name=conf.friendly_name, conference_sid=conf.sid, label=p.label,
               muted=p.muted or None, coach=p.call_sid_to_coach)
    event(sim, conf, "participant-join", p)
    if not conf.started and p.start_on_enter:
        start(sim, conf)
    elif conf.started:
        meet(sim, conf, leg)
    announce: Announce | None = None
    with expecting(leg, ConferenceChanged, ConferenceLeft, Announce):
        while True:
            try:
                if announce is not None:
                    doc, announce = Doc(announce.url, announce.method), None
                    yield from _play_doc(sim, leg, doc, once=True)
                    event(sim, conf, "announcement-end", p)
                elif p.hold:
                    yield from _background(sim, leg, p.hold_url, p.hold_method, "hold")
                elif not conf.started:
                    yield from _background(sim, leg, p.wait_url, p.wait_method, "wait")
                else:
                    yield Sleep(None)
            except ConferenceChanged:
                continue
            except Announce as wanted:
                announce = wanted
            except ConferenceLeft:
                ctx["unbridged_t"] = sim.now
                return "completed"


def start(sim: Simulator, conf: ConferenceState) -> None:
    conf.status, conf.started_t = IN_PROGRESS, sim.now
    event(sim, conf, "conference-start", None)
    for p in conf.participants.values():
        leg = sim.legs[p.call_sid]
        sim.record(leg, "conference_started", name=conf.friendly_name)
        meet(sim, conf, leg)
        sim.interrupt(leg, ConferenceChanged())


def meet(sim: Simulator, conf: ConferenceState, leg: Leg) -> None:
    """The first time two legs share the started conference, each timeline gets ``bridged``
    (``with`` the other party, its ``call_sid``, the ``conference``) and each party's talk time
    and utterances begin (once per leg)."""
    for other_sid in conf.participants:
        pair = frozenset((leg.sid, other_sid))
        if other_sid == leg.sid or pair in conf.met:
            continue
        conf.met.add(pair)
        other = sim.legs[other_sid]
        for a, b in ((leg, other), (other, leg)):
            sim.record(a, "bridged", **{"with": b.who, "call_sid": b.sid, "conference": conf.friendly_name})
            begin_talking(sim, a, conf.participants[a.sid])


def begin_talking(sim: Simulator, leg: Leg, p: Participant) -> None:
    """The party first talks with someone in the conference: its talk time and utterances begin."""
    if p.talking:
        return
    p.talking = True
    if leg.party.talk_s is not None:
        def done() -> None:
            with sim.lock:
                if not leg.ended:
                    hangup(sim, leg, by="party")

        leg.bridge_timers.append(sim.schedule(leg.party.talk_s, done, f"{leg.sid} talk over"))
    schedule_utterances(sim, leg)


# -- what a participant hears while not in the mix ---------------------------------------------
def _background(sim: Simulator, leg: Leg, url: str | None, method: str, why: str) -> Flow:
    """Loop the wait/hold audio until a signal takes the participant elsewhere."""
    while True:
        if url is None:
            sim.record(leg, "play", url=HOLD_MUSIC_URL, seconds=HOLD_MUSIC_S, hold_music=True, during=why)
            yield Sleep(HOLD_MUSIC_S)
            continue
        began = sim.now
        yield from _play_doc(sim, leg, Doc(url, method), during=why)
        if sim.now == began:
            yield Sleep(1.0)


def _play_doc(sim: Simulator, leg: Leg, doc: Doc | None, once: bool = False, during: str | None = None) -> Flow:
    """Fetch ``doc``: audio is played; TwiML runs its Play/Say/Pause/Redirect verbs."""
    while doc is not None:
        params = {**sim.base_params(leg), **doc.params}
        response = yield Fetch(doc.url, doc.method, params if doc.method != "GET" else {})
        if not 200 <= response.status < 300:
            sim.record(leg, "error", code=11200, url=doc.url, status=response.status,
                       message="HTTP retrieval failure (conference audio)")
            yield Sleep(1.0)
            return None
        if response.content_type.startswith("audio/"):
            seconds = wav_seconds(response.content) or MP3_DEFAULT_S
            sim.record(leg, "play", url=doc.url, seconds=round(seconds, 2), during=during)
            yield Sleep(seconds)
            return None
        root = parse(sim, leg, response.text)
        if root is None:
            return None
        doc = yield from run_verbs(sim, leg, list(root), doc.url, handlers=HOLD_VERBS)
        if once:
            return None
    return None


# -- events ----------------------------------------------------------------------------------
def event(sim: Simulator, conf: ConferenceState, name: str, p: Participant | None,
          extra: dict[str, str] | None = None) -> None:
    conf.sequence += 1
    params = {"ConferenceSid": conf.sid, "FriendlyName": conf.friendly_name, "AccountSid": sim.account_sid,
              "SequenceNumber": str(conf.sequence), "Timestamp": rfc2822(wall(sim.start_time, sim.now)),
              "StatusCallbackEvent": name, **(extra or {})}
    if p is not None:
        params.update(participant_params(p))
    conf.events.append({"t": round(sim.now, 1), **params})
    wanted_as = SUBSCRIBED_AS[name]
    for sub in conf.subscriptions:
        owner = sim.legs.get(sub.owner_sid)
        if wanted_as in sub.events and owner is not None:
            sim.fire(owner, sub.url, params, sub.method, kind="conference")


def participant_params(p: Participant) -> dict[str, str]:
    def tf(value: bool) -> str:
        return "true" if value else "false"

    params = {"CallSid": p.call_sid, "Muted": tf(p.muted), "Hold": tf(p.hold), "Coaching": tf(p.coaching),
              "StartConferenceOnEnter": tf(p.start_on_enter), "EndConferenceOnExit": tf(p.end_on_exit)}
    if p.label:
        params["ParticipantLabel"] = p.label
    if p.call_sid_to_coach:
        params["CallSidToCoach"] = p.call_sid_to_coach
    return params


# -- leaving and ending ------------------------------------------------------------------------
def leave(sim: Simulator, leg: Leg, kicked: bool = False) -> None:
    """``leg`` is out of its conference (hung up, redirected, or removed when ``kicked``)."""
    conf = sim.conferences.get(leg.conference_sid or "")
    leg.conference_sid = None
    if conf is None or leg.sid not in conf.participants:
        return
    p = conf.participants.pop(leg.sid)
    for t in leg.bridge_timers:
        t.cancel()
    leg.bridge_timers.clear()
    sim.record(leg, "conference_left", name=conf.friendly_name, kicked=kicked or None)
    event(sim, conf, "participant-leave", p)
    if kicked:
        sim.interrupt(leg, ConferenceLeft("kicked"))
    how = "kicked" if kicked else "left"
    if p.end_on_exit:
        end(sim, conf, f"participant-with-end-conference-on-exit-{how}", leg.sid)
    elif not conf.participants:
        end(sim, conf, f"last-participant-{how}", leg.sid)


def end(sim: Simulator, conf: ConferenceState, reason: str, call_sid: str | None) -> None:
    if conf.status == COMPLETED:
        return
    conf.status, conf.ended_t, conf.reason_ended, conf.call_sid_ending = COMPLETED, sim.now, reason, call_sid
    for p in list(conf.participants.values()):
        del conf.participants[p.call_sid]
        leg = sim.legs[p.call_sid]
        leg.conference_sid = None
        for t in leg.bridge_timers:
            t.cancel()
        leg.bridge_timers.clear()
        sim.record(leg, "conference_left", name=conf.friendly_name, reason="conference-ended")
        event(sim, conf, "participant-leave", p)
        sim.interrupt(leg, ConferenceLeft("conference-ended"))
    extra = {"ReasonConferenceEnded": reason}
    if call_sid:
        extra["CallSidEndingConference"] = call_sid
    event(sim, conf, "conference-end", None, extra)


def leg_gone(sim: Simulator, leg: Leg) -> None:
    """The leg ended (hung up): it leaves its conference."""
    if leg.conference_sid:
        leave(sim, leg)

"""Twilio's REST API (the subset Hotline uses) at Twilio's paths, as a Flask blueprint.

Mount with ``url_prefix="/simulator"``; the ``twilio`` client then works with
``client.api.base_url = "<base>/simulator"``. HTTP Basic auth with AccountSid:AuthToken
is required (401, code 20003). Errors use Twilio's JSON shape so the library raises
``TwilioRestException`` with ``.code``. Handlers only change state and schedule events.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Blueprint, Response, jsonify, request

from .bridge import start_transcription
from .calls import RestError, create_call, dequeue_member, update_call
from .conference_rest import add_conference_routes
from .queues import create_queue, find_queue
from .recording_api import add_recording_routes
from .records import Leg, QueueState, rfc2822, wall
from .wav import silent_wav

if TYPE_CHECKING:
    from .engine import Simulator

API = "/2010-04-01/Accounts/<account_sid>"
#: REST parameter → ``<Transcription>`` attribute, for a transcription started by REST
TRANSCRIPTION_ATTRS = {"StatusCallbackUrl": "statusCallbackUrl", "StatusCallbackMethod": "statusCallbackMethod",
                       "Track": "track", "LanguageCode": "languageCode", "Name": "name",
                       "PartialResults": "partialResults"}
_REASONS = {429: "Too Many Requests", 500: "Internal Server Error", 503: "Service Unavailable"}


def error(status: int, code: int, message: str) -> Response:
    response = jsonify({"code": code, "message": message, "status": status,
                        "more_info": f"https://www.twilio.com/docs/errors/{code}"})
    response.status_code = status
    return response


def _when(sim: Simulator, t: float | None) -> str | None:
    return rfc2822(wall(sim.start_time, t)) if t is not None else None


def call_json(sim: Simulator, leg: Leg) -> dict[str, Any]:
    uri = f"/2010-04-01/Accounts/{leg.account_sid}/Calls/{leg.sid}"
    return {
        "sid": leg.sid, "account_sid": leg.account_sid, "parent_call_sid": leg.parent_sid,
        "date_created": rfc2822(leg.created_at), "date_updated": _when(sim, sim.now),
        "to": leg.to, "to_formatted": leg.to, "from": leg.from_, "from_formatted": leg.from_,
        "phone_number_sid": None, "status": leg.status, "direction": leg.direction,
        "start_time": _when(sim, leg.initiated_t), "end_time": _when(sim, leg.end_t),
        "duration": str(leg.duration(sim.now)) if leg.ended else None,
        "price": None, "price_unit": "USD", "answered_by": leg.answered_by, "api_version": "2010-04-01",
        "forwarded_from": leg.forwarded_from, "caller_name": leg.caller_name, "group_sid": None,
        "queue_time": str(int(((leg.initiated_t or sim.now) - leg.created_t) * 1000)),
        "trunk_sid": None, "annotation": None, "uri": uri + ".json",
        "subresource_uris": {"recordings": uri + "/Recordings.json", "events": uri + "/Events.json"},
    }


def queue_json(sim: Simulator, q: QueueState) -> dict[str, Any]:
    uri = f"/2010-04-01/Accounts/{sim.account_sid}/Queues/{q.sid}"
    return {"sid": q.sid, "account_sid": sim.account_sid, "friendly_name": q.friendly_name,
            "current_size": len(q.members), "max_size": q.max_size,
            "average_wait_time": q.average_wait(sim.now), "date_created": rfc2822(q.created_at),
            "date_updated": _when(sim, sim.now), "uri": uri + ".json",
            "subresource_uris": {"members": uri + "/Members.json"}}


def member_json(sim: Simulator, q: QueueState, call_sid: str) -> dict[str, Any]:
    member = q.member(call_sid)
    assert member is not None
    return {"call_sid": call_sid, "queue_sid": q.sid, "position": q.position(call_sid),
            "wait_time": int(sim.now - member.enqueued_t), "date_enqueued": rfc2822(member.enqueued_at),
            "uri": f"/2010-04-01/Accounts/{sim.account_sid}/Queues/{q.sid}/Members/{call_sid}.json"}


def _page(key: str, items: list[dict[str, Any]], uri: str) -> dict[str, Any]:
    size = max(1, min(1000, int(request.args.get("PageSize") or 50)))
    page = max(0, int(request.args.get("Page") or 0))
    chunk = items[page * size:(page + 1) * size]
    filters = "".join(f"&{k}={v}" for k, v in request.args.items() if k not in ("Page", "PageSize", "PageToken"))

    def link(p: int) -> str:
        return f"{uri}?PageSize={size}&Page={p}{filters}"

    return {key: chunk, "page": page, "page_size": size, "start": page * size,
            "end": page * size + max(0, len(chunk) - 1), "uri": link(page), "first_page_uri": link(0),
            "next_page_uri": link(page + 1) if (page + 1) * size < len(items) else None,
            "previous_page_uri": link(page - 1) if page > 0 else None}


def make_rest_blueprint(sim: Simulator) -> Blueprint:
    bp = Blueprint("simulator_rest", __name__)

    @bp.errorhandler(RestError)
    def rest_error(exc: RestError) -> Response:
        return error(exc.status, exc.code, exc.message)

    @bp.before_request
    def guard() -> Response | None:
        if request.endpoint == "simulator_rest.recording":
            return None
        auth = request.authorization
        if auth is None or auth.username != sim.account_sid or auth.password != sim.auth_token:
            return error(401, 20003, "Authenticate")
        if (request.view_args or {}).get("account_sid") != sim.account_sid:
            return error(404, 20404, f"The requested resource {request.path} was not found")
        with sim.lock:
            if sim.rest_failures:
                status, code = sim.rest_failures.pop(0)
                return error(status, code, _REASONS.get(status, "Simulated failure"))
        return None

    _add_call_routes(bp, sim)
    _add_queue_routes(bp, sim)
    _add_member_routes(bp, sim)
    add_recording_routes(bp, sim)
    add_conference_routes(bp, sim, _page)

    @bp.get("/recordings/<recording_sid>")
    def recording(recording_sid: str) -> Response:
        sid = recording_sid.rsplit(".", 1)[0]
        with sim.lock:
            rec = sim.recordings.get(sid)
        if rec is None or rec.get("kind") == "call":  # call recordings: only behind basic auth
            return error(404, 20404, f"The requested resource /recordings/{recording_sid} was not found")
        return Response(silent_wav(rec["duration"]), mimetype="audio/x-wav")

    return bp


def _leg_or_404(sim: Simulator, sid: str) -> Leg:
    leg = sim.legs.get(sid)
    if leg is None:
        raise RestError(404, 20404, f"The requested resource /Calls/{sid}.json was not found")
    return leg


def _queue_or_404(sim: Simulator, sid: str) -> QueueState:
    q = sim.queues.get(sid)
    if q is None:
        raise RestError(404, 20404, f"The requested resource /Queues/{sid}.json was not found")
    return q


def _member_sid(q: QueueState, call_sid: str) -> str:
    if call_sid == "Front" and q.members:
        return q.members[0].call_sid
    if q.member(call_sid) is None:
        raise RestError(404, 20404, f"The requested resource /Queues/{q.sid}/Members/{call_sid}.json "
                                    "was not found")
    return call_sid


def _add_call_routes(bp: Blueprint, sim: Simulator) -> None:
    @bp.post(f"{API}/Calls.json")
    def calls_create(account_sid: str) -> tuple[Response, int]:
        sim.rest_latency()
        with sim.lock:
            return jsonify(call_json(sim, create_call(sim, request.form))), 201

    @bp.get(f"{API}/Calls.json")
    def calls_list(account_sid: str) -> Response:
        with sim.lock:
            legs = list(reversed(sim.legs.values()))  # newest first, like Twilio
            wanted = {"status": request.args.get("Status"), "to": request.args.get("To"),
                      "from_": request.args.get("From"), "parent_sid": request.args.get("ParentCallSid")}
            legs = [leg for leg in legs if all(v is None or getattr(leg, k) == v for k, v in wanted.items())]
            uri = f"/2010-04-01/Accounts/{account_sid}/Calls.json"
            return jsonify(_page("calls", [call_json(sim, leg) for leg in legs], uri))

    @bp.get(f"{API}/Calls/<call_sid>.json")
    def calls_fetch(account_sid: str, call_sid: str) -> Response:
        with sim.lock:
            return jsonify(call_json(sim, _leg_or_404(sim, call_sid)))

    @bp.post(f"{API}/Calls/<call_sid>.json")
    def calls_update(account_sid: str, call_sid: str) -> Response:
        with sim.lock:
            leg = _leg_or_404(sim, call_sid)
            update_call(sim, leg, request.form)
            return jsonify(call_json(sim, leg))


    @bp.post(f"{API}/Calls/<call_sid>/Transcriptions.json")
    def transcriptions_create(account_sid: str, call_sid: str) -> tuple[Response, int]:
        """Real-time transcription started by REST (Twilio's CreateRealtimeTranscription): the
        same session as ``<Start><Transcription>`` — ``StatusCallbackUrl``, ``Track``,
        ``LanguageCode``, ``Name``, ``PartialResults``; a call that has ended is refused (21220)."""
        with sim.lock:
            leg = _leg_or_404(sim, call_sid)
            if leg.ended:
                raise RestError(400, 21220, "Call is not in-progress. Cannot start a transcription.")
            form = request.form
            attrs = {attr: form[key] for key, attr in TRANSCRIPTION_ATTRS.items() if form.get(key)}
            start_transcription(sim, leg, attrs)
            session = leg.transcriptions[attrs.get("name") or next(reversed(leg.transcriptions))]
            return jsonify({"sid": session["sid"], "account_sid": account_sid, "call_sid": call_sid,
                            "name": session["name"], "status": "in-progress",
                            "date_updated": rfc2822(wall(sim.start_time, sim.now))}), 201


def _add_queue_routes(bp: Blueprint, sim: Simulator) -> None:
    @bp.post(f"{API}/Queues.json")
    def queues_create(account_sid: str) -> tuple[Response, int]:
        with sim.lock:
            name = (request.form.get("FriendlyName") or "").strip()
            if not name or len(name) > 64:
                raise RestError(400, 20001, "FriendlyName is required (at most 64 characters)")
            if find_queue(sim, name) is not None:
                raise RestError(400, 22003, f"A queue named {name} already exists")
            q = create_queue(sim, name, _max_size(request.form.get("MaxSize")))
            return jsonify(queue_json(sim, q)), 201

    @bp.get(f"{API}/Queues.json")
    def queues_list(account_sid: str) -> Response:
        with sim.lock:
            items = [queue_json(sim, q) for q in sim.queues.values()]
            return jsonify(_page("queues", items, f"/2010-04-01/Accounts/{account_sid}/Queues.json"))

    @bp.get(f"{API}/Queues/<queue_sid>.json")
    def queues_fetch(account_sid: str, queue_sid: str) -> Response:
        with sim.lock:
            return jsonify(queue_json(sim, _queue_or_404(sim, queue_sid)))

    @bp.post(f"{API}/Queues/<queue_sid>.json")
    def queues_update(account_sid: str, queue_sid: str) -> Response:
        with sim.lock:
            q = _queue_or_404(sim, queue_sid)
            if request.form.get("FriendlyName"):
                q.friendly_name = request.form["FriendlyName"].strip()
            if request.form.get("MaxSize"):
                q.max_size = _max_size(request.form["MaxSize"]) or q.max_size
            return jsonify(queue_json(sim, q))

    @bp.delete(f"{API}/Queues/<queue_sid>.json")
    def queues_delete(account_sid: str, queue_sid: str) -> tuple[str, int]:
        with sim.lock:
            q = _queue_or_404(sim, queue_sid)
            if q.members:
                raise RestError(400, 22004, "Queue is not empty")
            del sim.queues[queue_sid]
            return "", 204


def _add_member_routes(bp: Blueprint, sim: Simulator) -> None:
    @bp.get(f"{API}/Queues/<queue_sid>/Members.json")
    def members_list(account_sid: str, queue_sid: str) -> Response:
        with sim.lock:
            q = _queue_or_404(sim, queue_sid)
            items = [member_json(sim, q, m.call_sid) for m in q.members]
            uri = f"/2010-04-01/Accounts/{account_sid}/Queues/{queue_sid}/Members.json"
            return jsonify(_page("queue_members", items, uri))

    @bp.get(f"{API}/Queues/<queue_sid>/Members/<call_sid>.json")
    def members_fetch(account_sid: str, queue_sid: str, call_sid: str) -> Response:
        with sim.lock:
            q = _queue_or_404(sim, queue_sid)
            return jsonify(member_json(sim, q, _member_sid(q, call_sid)))

    @bp.post(f"{API}/Queues/<queue_sid>/Members/<call_sid>.json")
    def members_update(account_sid: str, queue_sid: str, call_sid: str) -> Response:
        with sim.lock:
            q = _queue_or_404(sim, queue_sid)
            sid = _member_sid(q, call_sid)
            url = request.form.get("Url")
            if not url:
                raise RestError(400, 20001, "Url is required")
            body = member_json(sim, q, sid)
            dequeue_member(sim, q, sim.legs[sid], url, (request.form.get("Method") or "POST").upper())
            body["position"] = 0
            return jsonify(body)


def _max_size(value: str | None) -> int | None:
    if not value:
        return None
    try:
        size = int(value)
    except ValueError:
        raise RestError(400, 20001, "MaxSize must be an integer") from None
    if not 1 <= size <= 5000:
        raise RestError(400, 20001, "MaxSize must be between 1 and 5000")
    return size

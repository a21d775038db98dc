"""Pure functions that build the bridge's TwiML: the agent's and the caller's ``<Dial><Conference>``.

Both legs meet in a conference named for the caller's call. The agent's participant starts it
(``startConferenceOnEnter``): a caller who gets there first hears hold music until the agent
is in. The caller's participant ends the conference when it leaves (``endConferenceOnExit``)
and the agent's does not, so the call survives the agent leaving (a transfer) and ends with
the caller. Conference events go to
``status_url``. Tests parse the XML (``tests/twiml.py``).
"""

from __future__ import annotations

from collections.abc import Sequence

from twilio.twiml.voice_response import Dial, Start, VoiceResponse

from core.config import Settings
from core.twiml import says

#: the conference events the app records on the call's timeline (``modify``: a lead's coaching
#: starts or stops, see ``agent_console.supervise``)
CONFERENCE_EVENTS = "start end join leave mute hold modify"


def _conference(room: str, label: str, *, dial_action: str, status_url: str, start_on_enter: bool,
                end_on_exit: bool) -> Dial:
    dial = Dial(action=dial_action, method="POST")
    dial.conference(room, participant_label=label, start_conference_on_enter=start_on_enter,
                    end_conference_on_exit=end_on_exit, beep=False, status_callback=status_url,
                    status_callback_method="POST", status_callback_event=CONFERENCE_EVENTS)
    return dial


def agent_conference(settings: Settings, locale: str, whisper: Sequence[str], *, room: str, dial_action: str,
                     status_url: str, transcription_url: str, transcription_language: str) -> VoiceResponse:
    """The agent's leg: a short whisper, start the live transcript, then into the call's room."""
    response = VoiceResponse()
    says(response, whisper, settings, locale)
    start = Start()
    start.transcription(status_callback_url=transcription_url, track="both_tracks",
                        language_code=transcription_language)
    response.append(start)
    response.append(_conference(room, "agent", dial_action=dial_action, status_url=status_url,
                                start_on_enter=True, end_on_exit=False))
    return response


def caller_conference(settings: Settings, locale: str, lines: Sequence[str], *, room: str, dial_action: str,
                      status_url: str) -> VoiceResponse:
    """The caller, taken out of the line: "connecting you to agent N", then into the room."""
    response = VoiceResponse()
    says(response, lines, settings, locale)
    response.append(_conference(room, "caller", dial_action=dial_action, status_url=status_url,
                                start_on_enter=False, end_on_exit=True))
    return response

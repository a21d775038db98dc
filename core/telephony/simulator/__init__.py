"""The call simulator: a small fake Twilio, faithful to Twilio's documentation.

- ``Simulator`` (``engine.py``): in-memory calls, queues and recordings on a virtual
  clock (``clock.py``: manual, auto, realtime). Calls are placed with
  ``place_inbound_call`` (after ``register_number``) or through the REST API.
- ``make_rest_blueprint`` (``rest.py``): Twilio's REST paths (Calls, Queues, Members, Recordings);
  ``make_control_blueprint`` (``control.py``): the console's call log and controls.
- ``WsgiTransport`` / ``DirectWsgiTransport`` / ``HttpTransport`` (``transport.py``): how signed
  webhooks reach the app.
- ``SimulatorHttpClient`` (``http_client.py``): the ``twilio`` library's HTTP client,
  dispatching in-process.
- TwiML: ``twiml.py`` (documents, Say/Play/Pause/Redirect/Hangup/Reject/Start/Stop),
  ``gather.py`` (Gather, Record), ``queues.py`` (Enqueue, wait loop, Leave),
  ``dial.py`` (Dial Number/Client/Queue), ``conference.py``/``conference_rest.py`` (Dial Conference and its REST resources), ``bridge.py`` (bridges, transcription),
  ``legs.py`` (placing, ringing, answering, AMD), ``lifecycle.py`` (status callbacks,
  hang-ups, the end of a leg), ``calls.py`` (REST create/update/redirect),
  ``call_recording.py`` / ``recording_api.py`` (REST call recordings: start, pause, resume,
  stop, status callbacks, the WAV behind basic auth, delete).
- Imports go one way, down the layers listed in ``pyproject.toml`` (checked by
  ``lint-imports``); ``wiring.py`` hands the lower modules what the higher ones
  implement (``sim.verbs``, ``sim.leg_end_hooks``).
- ``CallerScript`` / ``Behaviour`` (``records.py``): what the simulated people do.
"""

from .control import make_control_blueprint
from .engine import Simulator
from .http_client import SimulatorHttpClient
from .records import Behaviour, CallerScript
from .rest import make_rest_blueprint
from .transport import DirectWsgiTransport, HttpTransport, TransportResponse, WsgiTransport

__all__ = [
    "Behaviour",
    "CallerScript",
    "DirectWsgiTransport",
    "HttpTransport",
    "Simulator",
    "SimulatorHttpClient",
    "TransportResponse",
    "WsgiTransport",
    "make_control_blueprint",
    "make_rest_blueprint",
]

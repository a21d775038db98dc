"""Wire the gateway's ``twilio`` client to Twilio or to the built-in simulator.

Simulator mode (the default without Twilio credentials): the simulator's REST API is
mounted at ``/simulator`` (Twilio's paths below it), the client's ``api.base_url`` points
there and its HTTP client dispatches in-process; webhooks are delivered in-process too,
signed over ``HOTLINE_PUBLIC_URL`` like Twilio signs them.
"""

from __future__ import annotations

from flask import Flask
from twilio.rest import Client

from core import clock
from core.access import LEAD_ROLES, role_guard
from core.config import ConfigError, Settings
from core.ops.deferred import drain
from core.secrets import new_account_sid, new_token, stored_secret
from core.telephony.gateway import TelephonyGateway
from core.telephony.simulator import (
    Simulator,
    SimulatorHttpClient,
    WsgiTransport,
    make_control_blueprint,
    make_rest_blueprint,
)

SIMULATOR_PREFIX = "/simulator"


def init_app(app: Flask, settings: Settings) -> None:
    if settings.telephony_mode == "twilio":
        account_sid = settings.telephony.account_sid
        auth_token = settings.telephony.auth_token
        if not account_sid or not auth_token:
            raise ConfigError("invalid setting telephony.account_sid (TWILIO_ACCOUNT_SID): "
                              "twilio mode needs TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN")
        client = Client(account_sid, auth_token)
    else:
        account_sid = settings.telephony.account_sid or stored_secret(app, "simulator_account_sid",
                                                                      new_account_sid)
        auth_token = settings.telephony.auth_token or stored_secret(app, "simulator_auth_token", new_token)
        client = _simulator_client(app, settings, account_sid, auth_token)
    app.config["TWILIO_ACCOUNT_SID"] = account_sid
    app.config["TWILIO_AUTH_TOKEN"] = auth_token
    app.extensions["gateway"] = TelephonyGateway(client, caller_id=settings.telephony.caller_id)


def _simulator_client(app: Flask, settings: Settings, account_sid: str, auth_token: str) -> Client:
    sim = Simulator(account_sid, auth_token, transport=WsgiTransport(app),
                    clock=settings.telephony.simulator_clock,
                    calls_per_second=settings.telephony.simulator_calls_per_second,
                    max_queue_size=settings.queue.max_size)
    base = settings.public_url
    sim.register_number(settings.telephony.caller_id, f"{base}/ivr/voice",
                        status_callback=f"{base}/ivr/status")
    app.register_blueprint(make_rest_blueprint(sim), url_prefix=SIMULATOR_PREFIX)

    # Call logs with full numbers and live-call steering: leads and admins only (H25).
    app.register_blueprint(make_control_blueprint(sim, authorize=role_guard(LEAD_ROLES)),
                           url_prefix=SIMULATOR_PREFIX + "/control")
    app.extensions["simulator"] = sim
    if settings.telephony.simulator_clock != "realtime":
        # Work a webhook left for after its response (placing calls, dispatch) is done before
        # the next event: the same run every time.
        sim.clock.settle = lambda: drain(app, 30)
    if settings.telephony.simulator_clock != "realtime":
        # Tests and `simulate call`: the app's now follows the simulator's virtual time.
        clock.follow(lambda: sim.now, app=app)
    client = Client(account_sid, auth_token, http_client=SimulatorHttpClient(app))
    client.api.base_url = base + SIMULATOR_PREFIX
    return client

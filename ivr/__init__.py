"""The caller's path: webhooks, menu, queue wait loop, routing, call-backs, presence API,
and ``flask simulate call`` (one caller through the real webhooks on the virtual clock).

Public entry points for other parts: ``ivr.routing.dispatch(app)`` (connect waiting callers
to free agents now), ``ivr.routing.dispatch_due(app)`` (the scheduler's periodic job) and
``ivr.routing.add_preference(app, prefer)`` (reorder candidate agents, e.g. by roster).
"""

from flask import Flask

from core import db
from core.api import register_api
from core.ops.fallback import set_caller_wording
from core.presence import on_presence_announced
from ivr import prompts, simulate_cli
from ivr.api import bp as api_bp
from ivr.recording_views import bp as recording_bp
from ivr.routing import on_presence_changed
from ivr.views import bp, media

db.register_models("ivr.models", "ivr.recording_models")


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.register_blueprint(media)
    app.register_blueprint(recording_bp)  # Twilio's recording status callback
    register_api(app, api_bp)
    app.extensions["ivr_routing"] = True
    on_presence_announced(app, on_presence_changed)  # agents becoming free → dispatch
    simulate_cli.init_app(app)
    set_caller_wording(app, prompts.text)  # the fault fallback speaks the library's lines too

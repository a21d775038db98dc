"""The caller's path: webhooks, menu, queue wait loop, routing, call-backs, presence API.

Public entry points for other parts: ``ivr.routing.dispatch(app)`` (connect waiting callers
to free agents now) and ``ivr.routing.dispatch_due(app)`` (the scheduler's periodic job).
"""

from flask import Flask

from core.ops.fallback import WORDING
from core.presence import on_presence_announced


def init_app(app: Flask) -> None:
    from core.api import register_api
    from ivr import (
        models,  # noqa: F401 - the Offer model
        prompts,
    )
    from ivr.api import bp as api_bp
    from ivr.routing import on_presence_changed
    from ivr.views import bp, media

    app.register_blueprint(bp)
    app.register_blueprint(media)
    register_api(app, api_bp)
    app.extensions["ivr_routing"] = True
    app.extensions[WORDING] = prompts.text  # the outage fallback speaks the library's lines too
    on_presence_announced(app, on_presence_changed)  # agents becoming free → dispatch

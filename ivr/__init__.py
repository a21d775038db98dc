"""The caller's path: webhooks, menu, queue, routing and call-backs."""

from flask import Flask


def init_app(app: Flask) -> None:
    from ivr.views import bp

    app.register_blueprint(bp)

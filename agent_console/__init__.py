"""The agent console (issue 6): sign-in, presence, the live call card, reply guidance, cases,
the team lead's live view — pages under ``/console/``, live updates by SSE.

Other parts build pages on it: see ``agent_console.auth`` (``login_required``,
``current_console_user``) and ``agent_console.nav`` (``register_nav``); templates extend
``console/base.html``.
"""

from __future__ import annotations

from flask import Flask, has_request_context


def init_app(app: Flask) -> None:
    """Register the console's blueprints, CSRF, sign-in and the template context."""
    from agent_console import auth, csrf, views  # noqa: F401  (views attach routes to bp)
    from agent_console.blueprint import bp
    from agent_console.i18n import current_lang, t
    from agent_console.nav import nav_items, register_nav

    csrf.init_app(app)
    auth.init_app(app)
    app.register_blueprint(bp)
    register_nav("坐席工作台", "Agent desk", "console.home", order=10)
    register_nav("班长实时视图", "Lead live view", "console.lead", roles=set(auth.LEAD_ROLES), order=20)

    @app.context_processor
    def _console_context() -> dict[str, object]:
        if not has_request_context():
            return {}
        user = auth.current_console_user()
        return {"console_user": user, "lang": current_lang(), "t": t, "nav_items": nav_items(user),
                "is_lead": auth.has_role(user, auth.LEAD_ROLES),
                "company": app.config["HOTLINE"].company}

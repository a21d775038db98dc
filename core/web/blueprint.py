"""The web shell's blueprint: sign-in, sign-out and the language switch under ``/console/``
(endpoints ``web.*``), the base template and the shell's assets at ``/console/shell/``."""

from flask import Blueprint

bp = Blueprint("web", __name__, url_prefix="/console", template_folder="templates",
               static_folder="static", static_url_path="/shell")

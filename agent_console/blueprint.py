"""The console's blueprint: every page lives under ``/console/`` (endpoints ``console.*``)."""

from flask import Blueprint

bp = Blueprint("console", __name__, url_prefix="/console", template_folder="templates",
               static_folder="static", static_url_path="/static")

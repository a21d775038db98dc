"""The JSON API base: ``/api`` blueprints, bearer tokens, one error shape, the OpenAPI document.

Every ``/api`` route is declared once with pydantic models (flask-openapi3): the view's
``path``/``query``/``body`` annotations validate the request, ``responses={...}`` names the
reply models, and ``GET /api/openapi.json`` is generated from the same models. Parts create
their blueprint with ``api_blueprint(...)`` and register it with ``register_api(app, bp)``;
``GET /api/docs`` shows the document with the Swagger UI shipped in ``core/static/swagger-ui``.

Every refusal is ``{"error": "field: reason"}`` (every invalid field, joined with ``"; "``).
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable, Iterable
from typing import Annotated, Any

from annotated_types import Interval
from flask import Flask, current_app, g, jsonify, render_template_string, request
from flask_openapi3 import APIBlueprint, Info, OpenAPI, SecurityScheme
from flask_openapi3.request import _validate_request
from flask_openapi3.utils import parse_parameters
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    RootModel,
    ValidationError,
    field_validator,
)
from pydantic_core import PydanticCustomError
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound

from core import disclosure
from core.api_errors import describe
from core.db import session
from core.models import User
from core.users import user_for_token

BEARER = [{"bearer": []}]
#: ISO 8601 date and time as the services read it: seconds and offset optional (no offset = local time)
ISO_DATE_TIME = (r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?"
                 r"(Z|[+-][0-9]{2}:[0-9]{2})?$")
#: a date and time in that form; an impossible one (February 30th) is the service's 422
LocalDateTime = Annotated[str, Field(pattern=ISO_DATE_TIME, examples=["2026-11-25T17:00"])]


def _whole(value: Any) -> Any:
    return int(value) if isinstance(value, float) and value.is_integer() else value


def whole_number(ge: int | None = None, le: int | None = None) -> Any:
    """A JSON integer from ``ge`` to ``le``: ``3`` or ``3.0`` (JSON Schema's "integer"), never
    ``"3"``, ``true`` or ``3.5``; the bounds appear in the schema."""
    return Annotated[int, Interval(ge=ge, le=le), BeforeValidator(_whole)]


Int = whole_number()
#: ``YYYY-MM-DD``; an impossible date is the service's 422
LocalDate = Annotated[str, Field(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", examples=["2026-11-25"])]
MAX_DB_ID = 2**31 - 1  # the ``int`` URL converter's upper bound (core/ops/security.py)


class Error(BaseModel):
    """Every refusal: ``{"error": "field: reason"}``, several fields joined with ``"; "``."""

    error: str


NUL_ERROR = "nul_character"


def _status_of(exc: ValidationError) -> int:
    """400 when the request does not match the schema; 422 when it does and only the rule that
    no text holds a NUL character (which the schema cannot state) refuses it."""
    return 422 if all(err["type"] == NUL_ERROR for err in exc.errors()) else 400


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, list | tuple):
        return any(_has_nul(v) for v in value)
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    return False


class _NoNul(BaseModel):
    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        """No text may hold a NUL character (a database cannot store it; no person types it)."""
        if _has_nul(value):
            raise PydanticCustomError(NUL_ERROR, "must not contain NUL characters")
        return value


class Body(_NoNul):
    """A JSON request body: JSON types are taken as they are (``"5"`` is not a number)."""

    model_config = ConfigDict(strict=True, extra="ignore")


class Query(_NoNul):
    """Query-string parameters: text converted to the declared types."""

    model_config = ConfigDict(extra="ignore")


class PathParams(BaseModel):
    """The URL's variable parts (already converted by the route's converters)."""

    model_config = ConfigDict(extra="ignore")


class Reply(BaseModel):
    """A JSON reply: the declared fields are checked, further fields pass through."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)


class OpenAPIDocument(Reply):
    """The OpenAPI 3.1 document itself."""

    openapi: str
    info: dict[str, Any]
    paths: dict[str, Any]


class ApiError(Exception):
    """Raise from an API view or service to answer ``{"error": message}`` with ``status``."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message = message
        self.status = status


def reply(model: type[BaseModel], data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Any:
    """Serialize ``data`` through its reply model (the same model the document names)."""
    body = model.model_validate(data).model_dump(mode="json", by_alias=True)
    return current_app.response_class(current_app.json.dumps(body) + "\n", status=status,
                                      headers=headers, mimetype="application/json")


def responses(ok: dict[int, Any], *errors: int) -> dict[int, Any]:
    """``ok`` (status → reply model) plus the JSON error for 400, 401, 422 (every operation
    refuses text holding a NUL character) and each of ``errors``."""
    return {**ok, **dict.fromkeys(sorted({400, 401, 422, *errors}), Error)}


def api_blueprint(name: str, import_name: str, url_prefix: str = "/api", **kwargs: Any) -> APIBlueprint:
    """A blueprint whose routes need a bearer token and appear in the OpenAPI document."""
    return APIBlueprint(name, import_name, url_prefix=url_prefix, abp_security=BEARER, **kwargs)


def register_api(app: Flask, blueprint: APIBlueprint) -> None:
    app.register_api(blueprint)  # type: ignore[attr-defined]


def current_user() -> User:
    return g.api_user


def api_auth(roles: Iterable[str] | None = None) -> Callable:
    """Require ``Authorization: Bearer <token>`` (401) and one of ``roles`` (403), then validate
    the view's ``path``/``query``/``body`` models (400): an unknown caller learns nothing."""
    allowed = set(roles or ())

    def decorator(view: Callable) -> Callable:
        models = parse_parameters(view, doc_ui=False)

        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            header = request.headers.get("Authorization", "")
            scheme, _, token = header.partition(" ")
            user = user_for_token(session(), token.strip()) if scheme.lower() == "bearer" else None
            if user is None:
                return jsonify(error="missing or invalid bearer token"), 401
            if allowed and user.role not in allowed:
                return jsonify(error=f"this needs the role {' or '.join(sorted(allowed))}"), 403
            g.api_user = user
            header, cookie, path, query, form, body, raw = models
            checked = _validate_request(header, cookie, path, None, form, body, raw, path_kwargs=kwargs)
            if query is not None:
                checked["query"] = _validate_query(query)
            return view(*args, **checked, **kwargs)

        wrapper.__delay_validate_request__ = True  # type: ignore[attr-defined]  # validated above
        return wrapper

    return decorator


@functools.cache
def _list_fields(model: type[BaseModel]) -> frozenset[str]:
    """The query parameters that may repeat (``?kind=a&kind=b``), by their names in the URL."""
    names = set()
    for name, field in model.model_fields.items():
        schema = model.model_json_schema()["properties"][field.alias or name]
        if schema.get("type") == "array" or any(s.get("type") == "array" for s in schema.get("anyOf", [])):
            names.add(field.alias or name)
    return frozenset(names)


def _validate_query(model: type[BaseModel]) -> BaseModel:
    """The query string as ``model`` (flask-openapi3's rules, with the model's schema read once)."""
    args = request.args
    lists = _list_fields(model)
    values = {key: (args.getlist(key) if key in lists else args.get(key)) for key in args}
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        raise ApiError(describe(exc), _status_of(exc)) from None


def _validation_error(exc: ValidationError) -> Any:
    response = jsonify(error=describe(exc))
    response.status_code = _status_of(exc)
    return response


def new_app(import_name: str) -> Flask:
    """The Flask application, able to collect the API's typed routes into one document."""
    return OpenAPI(import_name, info=Info(title="Hotline API", version="1.0.0",
                                          description="Queue, calls, cases, the script library, campaigns "
                                                      "and reports."),
                   security_schemes={"bearer": SecurityScheme(type="http", scheme="bearer")},
                   validation_error_status=400, validation_error_callback=_validation_error, doc_ui=False)


def openapi_document(app: Flask | None = None) -> dict[str, Any]:
    """The OpenAPI 3.1 document, every error answer pointing at the one ``Error`` model."""
    doc = copy.deepcopy(app.api_doc if app is not None else current_app.api_doc)  # type: ignore[attr-defined]
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    schemas.pop("ValidationErrorModel", None)
    for item in doc.get("paths", {}).values():
        for operation in item.values():
            bad_input = operation.get("responses", {}).get("400", {})
            if bad_input.get("content", {}).get("application/json", {}).get("schema", {}).get("type") == "array":
                del operation["responses"]["400"]  # only routes that take input answer 400
    return doc


bp = APIBlueprint("api", __name__, url_prefix="/api", static_folder="static/swagger-ui",
                  static_url_path="/docs/assets")
_DOCS_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Hotline API</title><link rel="icon" href="data:,">
<link rel="stylesheet" href="{{ url_for('api.static', filename='swagger-ui.css') }}"></head>
<body><div id="swagger-ui" data-url="{{ url_for('api.openapi_json') }}"></div>
<script src="{{ url_for('api.static', filename='swagger-ui-bundle.js') }}"></script>
<script src="{{ url_for('api.static', filename='init.js') }}"></script></body></html>
"""


class DocsPage(RootModel[str]):
    """The API reference page (HTML)."""

    model_config = ConfigDict(json_schema_extra={"contentMediaType": "text/html"})


@bp.get("/openapi.json", responses={200: OpenAPIDocument})
def openapi_json():
    """This document (OpenAPI 3.1), generated from the routes' models."""
    return jsonify(openapi_document())


@bp.get("/docs", responses={200: {"description": "The API reference (Swagger UI, served from local files)",
                                  "content": {"text/html": {"schema": DocsPage.model_json_schema()}}}})
def api_docs():
    """The API reference page: Swagger UI rendering ``/api/openapi.json``."""
    return render_template_string(_DOCS_PAGE)


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/api"


def _handle_api_error(exc: ApiError):
    return jsonify(error=exc.message), exc.status


def _no_such_path(exc: HTTPException) -> bool:
    """A 405 whose URL matches no route for any method either (an id beyond the ``int`` converter's
    range is checked only after the method): that URL does not exist."""
    if not isinstance(exc, MethodNotAllowed):
        return False
    adapter = current_app.url_map.bind_to_environ(request.environ)
    for method in exc.valid_methods or ():
        try:
            adapter.match(method=method)
            return False
        except HTTPException:
            continue
    return True


def _handle_http_error(exc: HTTPException):
    if exc.response is not None:  # a finished answer, e.g. the 400 of a failed validation
        return exc.response
    if not _wants_json():
        return exc
    if _no_such_path(exc):
        exc = NotFound()
    response = jsonify(error=exc.description or exc.name)
    for name, value in exc.get_headers():  # keep e.g. Allow on 405 (RFC 9110)
        if name.lower() != "content-type":
            response.headers[name] = value
    return response, exc.code or 500


def init_app(app: Flask) -> None:
    register_api(app, bp)
    disclosure.init_app(app)  # one audit entry per response that showed full phone numbers (H25)
    app.register_error_handler(ApiError, _handle_api_error)
    app.register_error_handler(HTTPException, _handle_http_error)

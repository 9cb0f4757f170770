"""rest-json error responses -> :class:`~aiosagemaker_runtime.ServiceError` instances.

The code comes from the ``x-amzn-ErrorType`` header, else the body's ``code``/``Code``,
else its ``__type``, else the HTTP status; it is normalised by dropping everything from
the first ``:`` and everything up to the last ``#``. The message is the body's
``message``, ``Message`` or ``errorMessage``; a body that is not a JSON object (HTML
from a proxy, plain text, nothing) gives its text, tags stripped and truncated, or the
HTTP reason phrase. A code the model knows gives its generated class with the error
shape's members parsed into attributes; any other code a plain ``ServiceError``.
:func:`parse_error` never raises.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from .._exceptions import ServiceError
from .._spec import OperationSpec, ServiceSpec, ShapeSpec
from .parse import output_plan, parse_members, request_id

__all__ = ["parse_error"]

#: Longest message kept from a body that is not JSON.
MAX_TEXT_MESSAGE = 512
#: How much of such a body is looked at.
_MAX_TEXT_SCAN = 64 * 1024
_RESERVED = frozenset({"message", "code", "status_code", "request_id", "headers"})
_SCRIPT = re.compile(r"<(script|style)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")

_INDEXES: dict[int, tuple[ServiceSpec, dict[str, ShapeSpec]]] = {}


def _error_shapes(service: ServiceSpec) -> dict[str, ShapeSpec]:
    cached = _INDEXES.get(id(service))
    if cached is not None and cached[0] is service:
        return cached[1]
    index: dict[str, ShapeSpec] = {}
    for name, spec in service.shapes.items():
        if spec.exception:
            index.setdefault(spec.error_code or name, spec)
    for name, spec in service.shapes.items():
        if spec.exception:
            index.setdefault(name, spec)
    _INDEXES[id(service)] = (service, index)
    return index


def _reason(status: Any) -> str:
    import http  # error responses only: not imported for a client that never sees one

    try:
        return http.HTTPStatus(status).phrase
    except (ValueError, TypeError):
        return ""


def _body_text(body: bytes) -> str:
    text = body[:_MAX_TEXT_SCAN].decode("utf-8", "replace")
    if "<" in text and ">" in text:
        import html  # with html.entities, ~2 ms at import; only for markup error bodies

        text = html.unescape(_TAG.sub(" ", _SCRIPT.sub(" ", text)))
    text = _SPACE.sub(" ", text).strip()
    if len(text) > MAX_TEXT_MESSAGE:
        text = text[: MAX_TEXT_MESSAGE - 3].rstrip() + "..."
    return text


def _normalise_code(code: Any) -> str:
    return str(code).split(":", 1)[0].rsplit("#", 1)[-1].strip()


def _build(
    service: ServiceSpec, status: int, headers: Mapping[str, str], body: bytes
) -> ServiceError:
    rid = request_id(headers)
    document: Any = None
    if body.strip():
        try:
            document = json.loads(body)
        except ValueError:
            document = None
    fields: dict[str, Any] = document if isinstance(document, dict) else {}

    code = ""
    header_code = headers.get("x-amzn-errortype")
    if header_code:
        code = _normalise_code(header_code)
    if not code:
        for key in ("code", "Code", "__type"):
            value = fields.get(key)
            if value is not None and value != "":
                code = _normalise_code(value)
                if code:
                    break
    if not code:
        code = str(status)

    message = ""
    if isinstance(document, dict):
        for key in ("message", "Message", "errorMessage"):
            value = fields.get(key)
            if value is not None:
                message = value if isinstance(value, str) else json.dumps(value)
                break
    else:
        message = _body_text(body) or _reason(status)

    spec = _error_shapes(service).get(code)
    cls: object = service.errors.get(code)
    if cls is None and spec is not None:
        cls = spec.cls
    if not (isinstance(cls, type) and issubclass(cls, ServiceError)):
        return ServiceError(message, code=code, status_code=status, request_id=rid, headers=headers)
    error_cls: type[ServiceError] = cls
    if spec is None or spec.cls is not cls:
        spec = next((s for s in service.shapes.values() if s.exception and s.cls is cls), spec)
    values: dict[str, Any] = {}
    if spec is not None:
        plan = output_plan(service.shapes, spec.name)
        if plan is not None:
            values = parse_members(plan, status, headers, body, parsed_body=fields)
    for name in _RESERVED.intersection(values):
        del values[name]
    error = error_cls(
        message, code=code, status_code=status, request_id=rid, headers=headers, **values
    )
    if error.message != message:
        # A modeled "Message" member must not replace the service's message.
        error.message = message
        error.args = (error._describe(),)
    return error


def parse_error(
    service: ServiceSpec,
    operation: OperationSpec | None,
    status: int,
    headers: Mapping[str, str],
    body: bytes | bytearray | memoryview,
) -> ServiceError:
    """The exception for an error response (``headers`` with lower-cased names).

    Never raises: whatever the body and headers, a :class:`ServiceError` (or a generated
    subclass) with ``code``, ``message``, ``status_code`` and ``request_id`` comes back.
    """
    try:
        return _build(service, status, headers, bytes(body))
    except Exception:
        pass
    try:
        rid = request_id(headers)
    except Exception:
        rid = None
    return ServiceError(_reason(status), code=str(status), status_code=status, request_id=rid)

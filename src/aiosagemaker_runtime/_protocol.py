"""The rest-json protocol, service-agnostic, driven by the generated operation descriptions.

The pipeline calls, per operation call: :func:`prepare_input` (once), then
:func:`serialize_request`; on a response, :func:`parse_response` (2xx),
:func:`parse_stream_output` (2xx of an event-stream operation) or :func:`parse_error`.
Everything matches botocore's ``RestJSONSerializer`` / ``RestJSONParser`` on the wire;
plans are compiled once per operation and cached.
"""

from __future__ import annotations

from ._errors_parse import parse_error
from ._parse import deserialize_json, parse_response, parse_stream_output, request_id
from ._serialize import prepare_input, serialize_request

__all__ = [
    "deserialize_json",
    "parse_error",
    "parse_response",
    "parse_stream_output",
    "prepare_input",
    "request_id",
    "serialize_request",
]

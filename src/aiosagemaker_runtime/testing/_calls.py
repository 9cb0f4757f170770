"""What a fake endpoint records of each call: :class:`Call`."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ..local._app import _OPERATIONS
from ..local._targets import Invocation

__all__ = ["Call"]

#: Request headers that carry credentials: never recorded.
_SECRET_HEADERS = frozenset({"authorization", "x-amz-security-token"})


class Call:
    """One call that reached a fake endpoint's model, as SageMaker would have handled it.

    * ``endpoint``, ``operation`` (``"InvokeEndpoint"``,
      ``"InvokeEndpointWithResponseStream"``, ``"InvokeEndpointAsync"``);
    * ``body``: the bytes the model got (for ``InvokeEndpointAsync``, the input object's);
    * ``headers``: what the model container gets, lower-cased: ``content-type``,
      ``accept``, ``x-amzn-sagemaker-custom-attributes``, ``...-target-model``,
      ``...-inference-id``, ``...-enable-explanations``, ``...-session-id`` (for the
      streaming and asynchronous operations, ``accept`` and ``content-type`` are what
      the caller sent as ``X-Amzn-SageMaker-Accept``/``-Content-Type``);
    * ``request_headers``: every header of the HTTP request as the service got it,
      lower-cased, except those that carry credentials (``Authorization``,
      ``X-Amz-Security-Token``), which are never kept; ``signed`` says whether the
      request had an ``Authorization`` header.

    The properties read single headers (``call.target_variant``,
    ``call.custom_attributes``...), ``None`` when the caller did not send it.
    The ``repr`` shows the endpoint, the operation and sizes, never the body or values.
    """

    __slots__ = ("body", "endpoint", "headers", "operation", "request_headers", "signed")

    def __init__(
        self,
        endpoint: str,
        operation: str,
        body: bytes,
        headers: Mapping[str, str],
        request_headers: Mapping[str, str],
        signed: bool,
    ) -> None:
        self.endpoint = endpoint
        self.operation = operation
        self.body = body
        self.headers = dict(headers)
        self.request_headers = dict(request_headers)
        self.signed = signed

    @classmethod
    def of(cls, endpoint: str, invocation: Invocation) -> Call:
        """The record of ``invocation`` to ``endpoint``, credentials left out."""
        request = invocation.request
        operation = ""
        received: dict[str, str] = {}
        signed = False
        if request is not None:
            operation = _OPERATIONS.get(request.path.rpartition("/")[2], "")
            for name, value in request.headers:
                if name == "authorization":
                    signed = True
                if name not in _SECRET_HEADERS:
                    received.setdefault(name, value)
        return cls(endpoint, operation, invocation.body, invocation.headers, received, signed)

    # -- the body -------------------------------------------------------------------------

    @property
    def text(self) -> str:
        """The body decoded as UTF-8."""
        return self.body.decode("utf-8")

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)

    # -- single headers -------------------------------------------------------------------

    @property
    def content_type(self) -> str | None:
        return self.headers.get("content-type")

    @property
    def accept(self) -> str | None:
        return self.headers.get("accept")

    @property
    def custom_attributes(self) -> str | None:
        return self.headers.get("x-amzn-sagemaker-custom-attributes")

    @property
    def target_model(self) -> str | None:
        return self.headers.get("x-amzn-sagemaker-target-model")

    @property
    def inference_id(self) -> str | None:
        return self.headers.get("x-amzn-sagemaker-inference-id")

    @property
    def session_id(self) -> str | None:
        return self.headers.get("x-amzn-sagemaker-session-id")

    @property
    def enable_explanations(self) -> str | None:
        return self.headers.get("x-amzn-sagemaker-enable-explanations")

    @property
    def target_variant(self) -> str | None:
        return self.request_headers.get("x-amzn-sagemaker-target-variant")

    @property
    def target_container_hostname(self) -> str | None:
        return self.request_headers.get("x-amzn-sagemaker-target-container-hostname")

    @property
    def inference_component(self) -> str | None:
        return self.request_headers.get("x-amzn-sagemaker-inference-component")

    @property
    def input_location(self) -> str | None:
        """``InvokeEndpointAsync``: the S3 location of the input."""
        return self.request_headers.get("x-amzn-sagemaker-inputlocation")

    def __repr__(self) -> str:
        return (
            f"<Call {self.operation} endpoint={self.endpoint!r} body={len(self.body)} bytes "
            f"headers={sorted(self.headers)}>"
        )

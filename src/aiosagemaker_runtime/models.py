"""The shapes of the SageMaker Runtime service models as pydantic models.

Every structure of the model is importable here under the model's shape name
(``InvokeEndpointInput``, ``InvokeEndpointOutput``, ``PayloadPart``, ...), together
with the constrained scalar types (``EndpointName``, ``BodyBlob``, ...). Attributes are
the snake_case member names; ``model_dump(by_alias=True)`` gives botocore's keys.

The bidirectional-stream operation's model (``SageMakerRuntimeHTTP2Client``) adds its
shapes: ``RequestPayloadPart`` (an input part with ``data_type`` and
``completion_state``), ``ResponsePayloadPart``, ``InvokeEndpointWithBidirectionalStreamOutput``
(the stream a call returns), ... No shape name is in both models.

Each class is created when it is first imported from here (or first needed by a call).
"""

from typing import TYPE_CHECKING as _TYPE_CHECKING
from typing import Any as _Any

from ._generated import models as _first
from ._generated_http2 import models as _http2

if _TYPE_CHECKING:
    from ._generated.models import *  # noqa: F403
    from ._generated_http2.models import *  # noqa: F403

__all__ = [*_first.__all__, *_http2.__all__]


def __getattr__(name: str) -> _Any:
    for module in (_first, _http2):
        if name in module.__all__:
            value = getattr(module, name)
            globals()[name] = value
            return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})

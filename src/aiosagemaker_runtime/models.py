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

from ._generated import models as _first
from ._generated_http2 import models as _http2
from ._lazy import lazy_attributes as _lazy_attributes

if _TYPE_CHECKING:
    from ._generated.models import *  # noqa: F403
    from ._generated_http2.models import *  # noqa: F403

__all__ = [*_first.__all__, *_http2.__all__]

__getattr__, __dir__ = _lazy_attributes(
    globals(),
    {
        **dict.fromkeys(_first.__all__, "._generated.models"),
        **dict.fromkeys(_http2.__all__, "._generated_http2.models"),
    },
)

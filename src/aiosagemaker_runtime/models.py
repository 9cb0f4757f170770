"""The shapes of the SageMaker Runtime service models as pydantic models.

Every structure of the model is importable here under the model's shape name
(``InvokeEndpointInput``, ``InvokeEndpointOutput``, ``PayloadPart``, ...), together
with the constrained scalar types (``EndpointName``, ``BodyBlob``, ...). Attributes are
the snake_case member names; ``model_dump(by_alias=True)`` gives botocore's keys.

The bidirectional-stream operation's model (``SageMakerRuntimeHTTP2Client``) adds its
shapes: ``RequestPayloadPart`` (an input part with ``data_type`` and
``completion_state``), ``ResponsePayloadPart``, ``InvokeEndpointWithBidirectionalStreamOutput``
(the stream a call returns), ... No shape name is in both models.
"""

from ._generated.models import *  # noqa: F403
from ._generated.models import __all__ as _first_all
from ._generated_http2.models import *  # noqa: F403
from ._generated_http2.models import __all__ as _http2_all

__all__ = [*_first_all, *_http2_all]

"""The shapes of the SageMaker Runtime service model as pydantic models.

Every structure of the model is importable here under the model's shape name
(``InvokeEndpointInput``, ``InvokeEndpointOutput``, ``PayloadPart``, ...), together
with the constrained scalar types (``EndpointName``, ``BodyBlob``, ...). Attributes are
the snake_case member names; ``model_dump(by_alias=True)`` gives botocore's keys.
"""

from ._generated.models import *  # noqa: F403
from ._generated.models import __all__ as __all__

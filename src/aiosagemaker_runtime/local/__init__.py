"""A local endpoint that speaks the SageMaker Runtime wire protocol (``serve-local``).

Point the client, boto3 or the AWS CLI at it with ``endpoint_url``/``--endpoint-url``.
Endpoints are served by the built-in ``echo`` model or by a model container that follows
SageMaker's container contract (``GET /ping``, ``POST /invocations``)::

    config = LocalConfig(endpoints={"demo": EndpointTarget("demo", "echo")}, port=0)
    async with anyio.create_task_group() as tg:
        url = await tg.start(LocalEndpointServer(config).serve)
        ...
        tg.cancel_scope.cancel()
"""

from ._config import ConfigError, EndpointTarget, LocalConfig, parse_endpoint_option
from ._server import LocalEndpointServer, run_server

__all__ = [
    "ConfigError",
    "EndpointTarget",
    "LocalConfig",
    "LocalEndpointServer",
    "parse_endpoint_option",
    "run_server",
]

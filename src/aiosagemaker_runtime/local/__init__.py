"""A local endpoint that speaks the SageMaker Runtime wire protocol (``serve-local``).

Point the client, boto3 or the AWS CLI at it with ``endpoint_url``/``--endpoint-url``.
Endpoints are served by the built-in ``echo`` model or by a model container that follows
SageMaker's container contract (``GET /ping``, ``POST /invocations``)::

    config = LocalConfig.serving({"demo": "echo", "llm": "http://127.0.0.1:9000"}, port=0)
    async with running(config) as url:
        async with SageMakerRuntimeClient(endpoint_url=url, ...) as client:
            ...

From a shell: ``aiosagemaker-runtime serve-local --endpoint demo=echo``.
"""

from ._config import ConfigError, EndpointTarget, LocalConfig, parse_endpoint_option
from ._server import LocalEndpointServer, TLSFiles, run_server, running

__all__ = [
    "ConfigError",
    "EndpointTarget",
    "LocalConfig",
    "LocalEndpointServer",
    "TLSFiles",
    "parse_endpoint_option",
    "run_server",
    "running",
]

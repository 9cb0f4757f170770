"""Test your code that calls SageMaker Runtime against a fake endpoint: serve-local on
``127.0.0.1``, whose endpoints are Python functions and scripted answers, recording
every call. It speaks the service's wire protocol, so our client, aiobotocore and boto3
all work with it through ``endpoint_url``.

::

    from aiosagemaker_runtime.errors import ModelError
    from aiosagemaker_runtime.testing import FakeSageMaker, ThrottlingException

    async with FakeSageMaker() as fake:             # ``with``: in a thread, for boto3
        fake.endpoint("llm", model=lambda call: {"echo": call.json()})
        fake.endpoint("ranker").fail(ThrottlingException()).respond([0.9, 0.1])
        fake.endpoint("broken").fail(ModelError(original_status_code=400))
        ...  # your code, with endpoint_url=fake.url
        assert fake.endpoint("llm").calls[0].json() == {...}

With pytest, installing the package provides the ``fake_sagemaker`` fixture (a
running :class:`FakeSageMaker`, in a thread of its own, so that synchronous and async
tests of any event loop can use it); ``@pytest.mark.fake_sagemaker(check_signatures=True)``
passes settings to it.
"""

from typing import TYPE_CHECKING

from .._lazy import lazy_attributes

if TYPE_CHECKING:
    from ._answers import CorruptFrame as CorruptFrame
    from ._answers import Disconnect as Disconnect
    from ._answers import Fault as Fault
    from ._answers import HTTPAnswer as HTTPAnswer
    from ._answers import Pause as Pause
    from ._answers import Reply as Reply
    from ._answers import Stream as Stream
    from ._answers import StreamItem as StreamItem
    from ._answers import ThrottlingException as ThrottlingException
    from ._answers import TruncatedFrame as TruncatedFrame
    from ._answers import byte_chunks as byte_chunks
    from ._calls import Call as Call
    from ._endpoint import FakeEndpoint as FakeEndpoint
    from ._endpoint import ModelFunction as ModelFunction
    from ._fake import FakeSageMaker as FakeSageMaker

#: Where each public name lives. Loaded on first use: the pytest plugin imports this
#: package in every test session, and serving is not needed until a fake is started.
_EXPORTS = {
    "Call": "._calls",
    "CorruptFrame": "._answers",
    "Disconnect": "._answers",
    "FakeEndpoint": "._endpoint",
    "FakeSageMaker": "._fake",
    "Fault": "._answers",
    "HTTPAnswer": "._answers",
    "ModelFunction": "._endpoint",
    "Pause": "._answers",
    "Reply": "._answers",
    "Stream": "._answers",
    "StreamItem": "._answers",
    "ThrottlingException": "._answers",
    "TruncatedFrame": "._answers",
    "byte_chunks": "._answers",
}

__all__ = sorted(_EXPORTS)


__getattr__, __dir__ = lazy_attributes(globals(), _EXPORTS)

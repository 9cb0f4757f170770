"""boto3 and aiobotocore against the fake, and the fixture from tests of any event loop."""

from __future__ import annotations

import asyncio
from typing import Any

import aiobotocore.session
import boto3
import pytest
from botocore.config import Config
from botocore.eventstream import ChecksumMismatch
from botocore.exceptions import ClientError, ConnectionClosedError, EventStreamError

from aiosagemaker_runtime import ClientConfig, SageMakerRuntimeClient
from aiosagemaker_runtime.errors import ModelError, ModelNotReadyException, ModelStreamError
from aiosagemaker_runtime.testing import (
    CorruptFrame,
    FakeSageMaker,
    ThrottlingException,
    byte_chunks,
)


def boto3_client(fake: FakeSageMaker, attempts: int = 1) -> Any:
    return boto3.client(
        "sagemaker-runtime",
        endpoint_url=fake.url,
        region_name="us-east-1",
        aws_access_key_id=fake.access_key_id,
        aws_secret_access_key=fake.secret_access_key,
        config=Config(retries={"total_max_attempts": attempts}),
    )


# -- boto3, synchronous, through the fixture ------------------------------------------------


def test_boto3_model_and_modeled_error(fake_sagemaker: FakeSageMaker) -> None:
    fake_sagemaker.endpoint("ep", model=lambda call: {"n": len(call.body)})
    fake_sagemaker.endpoint("bad").fail(
        ModelError(original_status_code=422, original_message="no such feature")
    )
    client = boto3_client(fake_sagemaker)
    out = client.invoke_endpoint(EndpointName="ep", Body=b"12345", ContentType="text/plain")
    assert out["Body"].read() == b'{"n": 5}'
    assert out["ContentType"] == "application/json"
    with pytest.raises(ClientError) as excinfo:
        client.invoke_endpoint(EndpointName="bad", Body=b"x")
    response = excinfo.value.response
    assert response["Error"]["Code"] == "ModelError"
    assert response["OriginalStatusCode"] == 422
    assert response["OriginalMessage"] == "no such feature"
    assert response["LogStreamArn"].endswith("/aws/sagemaker/Endpoints/bad")
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 424
    [call] = fake_sagemaker.endpoint("ep").calls
    assert (call.body, call.content_type) == (b"12345", "text/plain")


def test_boto3_throttling_and_disconnects(fake_sagemaker: FakeSageMaker) -> None:
    fake_sagemaker.endpoint("busy").fail(ThrottlingException())
    fake_sagemaker.endpoint("gone").disconnect()
    client = boto3_client(fake_sagemaker, attempts=2)
    with pytest.raises(ClientError) as excinfo:
        client.invoke_endpoint(EndpointName="busy", Body=b"x")
    assert excinfo.value.response["Error"] == {"Code": "ThrottlingException", "Message": None}
    with pytest.raises(ConnectionClosedError):
        client.invoke_endpoint(EndpointName="gone", Body=b"x")
    assert len(fake_sagemaker.endpoint("busy").calls) == 2
    assert len(fake_sagemaker.endpoint("gone").calls) == 2


def test_boto3_streams(fake_sagemaker: FakeSageMaker) -> None:
    text = "naïve 😀 text\n"
    fake_sagemaker.endpoint("ep").stream(byte_chunks(text, 2))
    fake_sagemaker.endpoint("fails").stream(
        [b"a", ModelStreamError("boom", error_code="ModelStreamFailure")]
    )
    fake_sagemaker.endpoint("corrupt").stream([b"a", CorruptFrame()])
    client = boto3_client(fake_sagemaker)
    out = client.invoke_endpoint_with_response_stream(EndpointName="ep", Body=b"x")
    parts = [event["PayloadPart"]["Bytes"] for event in out["Body"]]
    assert parts == byte_chunks(text, 2)
    assert b"".join(parts).decode() == text
    out = client.invoke_endpoint_with_response_stream(EndpointName="fails", Body=b"x")
    with pytest.raises(EventStreamError) as excinfo:
        list(out["Body"])
    assert excinfo.value.response["Error"]["Code"] == "ModelStreamError"
    out = client.invoke_endpoint_with_response_stream(EndpointName="corrupt", Body=b"x")
    with pytest.raises(ChecksumMismatch):
        list(out["Body"])


@pytest.mark.fake_sagemaker(check_signatures=True, region="eu-west-1")
def test_marker_settings(fake_sagemaker: FakeSageMaker) -> None:
    assert fake_sagemaker.check_signatures
    assert fake_sagemaker.region == "eu-west-1"
    fake_sagemaker.endpoint("ep").respond(b"ok")
    client = boto3.client(
        "sagemaker-runtime",
        endpoint_url=fake_sagemaker.url,
        region_name="eu-west-1",
        aws_access_key_id=fake_sagemaker.access_key_id,
        aws_secret_access_key="wrong",
    )
    with pytest.raises(ClientError) as excinfo:
        client.invoke_endpoint(EndpointName="ep", Body=b"x")
    assert excinfo.value.response["Error"]["Code"] == "InvalidSignatureException"


# -- aiobotocore (asyncio) ------------------------------------------------------------------


async def _aiobotocore_calls(fake: FakeSageMaker) -> tuple[bytes, list[bytes], str]:
    session = aiobotocore.session.get_session()
    async with session.create_client(
        "sagemaker-runtime",
        endpoint_url=fake.url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"total_max_attempts": 1}),
    ) as client:
        out = await client.invoke_endpoint(EndpointName="ep", Body=b"hello")
        body = await out["Body"].read()
        stream = await client.invoke_endpoint_with_response_stream(EndpointName="st", Body=b"x")
        parts = [event["PayloadPart"]["Bytes"] async for event in stream["Body"]]
        try:
            await client.invoke_endpoint(EndpointName="unready", Body=b"x")
        except ClientError as error:
            code = error.response["Error"]["Code"]
    return body, parts, code


def _script(fake: FakeSageMaker) -> None:
    fake.endpoint("ep", model=lambda call: call.body[::-1])
    fake.endpoint("st").stream([b"1", b"2"])
    fake.endpoint("unready").fail(ModelNotReadyException("still loading"))


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_aiobotocore_in_the_tests_loop(anyio_backend: str) -> None:
    async with FakeSageMaker() as fake:
        _script(fake)
        result = await _aiobotocore_calls(fake)
    assert result == (b"olleh", [b"1", b"2"], "ModelNotReadyException")


def test_aiobotocore_with_the_fixture(fake_sagemaker: FakeSageMaker) -> None:
    _script(fake_sagemaker)
    result = asyncio.run(_aiobotocore_calls(fake_sagemaker))
    assert result == (b"olleh", [b"1", b"2"], "ModelNotReadyException")
    assert [call.endpoint for call in fake_sagemaker.calls] == ["ep", "st", "unready"]


# -- our client from async tests, through the fixture's thread ----------------------------


@pytest.mark.anyio
async def test_our_client_with_the_fixture(fake_sagemaker: FakeSageMaker) -> None:
    fake_sagemaker.endpoint("ep").respond({"ok": 1})
    async with SageMakerRuntimeClient(
        endpoint_url=fake_sagemaker.url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=ClientConfig(max_attempts=1),
    ) as client:
        out = await client.invoke_endpoint(endpoint_name="ep", body=b"x")
    assert out.body == b'{"ok": 1}'


def test_thread_mode_under_trio() -> None:
    with FakeSageMaker(thread_backend="trio") as fake:
        fake.endpoint("ep").respond(b"from trio")
        out = boto3_client(fake).invoke_endpoint(EndpointName="ep", Body=b"x")
    assert out["Body"].read() == b"from trio"

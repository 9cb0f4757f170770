"""What a fake records of each call, and that credentials are never among it."""

from __future__ import annotations

import logging
from pathlib import Path

import anyio
import pytest

from aiosagemaker_runtime import ClientConfig, SageMakerRuntimeClient, ServiceError
from aiosagemaker_runtime.testing import Call, FakeSageMaker, Reply

pytestmark = pytest.mark.anyio

SESSION_TOKEN = "session-token-that-must-not-leak"


def client_for(
    fake: FakeSageMaker, *, secret: str | None = None, token: str | None = None
) -> SageMakerRuntimeClient:
    return SageMakerRuntimeClient(
        endpoint_url=fake.url,
        region_name="us-east-1",
        aws_access_key_id=fake.access_key_id,
        aws_secret_access_key=secret or fake.secret_access_key,
        aws_session_token=token,
        config=ClientConfig(max_attempts=1),
    )


async def test_invoke_endpoint_as_the_container_gets_it() -> None:
    async with FakeSageMaker() as fake, client_for(fake) as client:
        fake.endpoint("ep").respond(b"ok")
        await client.invoke_endpoint(
            endpoint_name="ep",
            body=b'{"inputs": "hi"}',
            content_type="application/json",
            accept="application/jsonlines",
            custom_attributes="trace=abc",
            target_model="model-a.tar.gz",
            target_variant="blue",
            target_container_hostname="second",
            inference_id="inf-1",
            inference_component_name="ic-1",
            session_id="sess-9",
            enable_explanations="`true`",
        )
    [call] = fake.calls
    assert call is fake.endpoint("ep").calls[0]
    assert (call.endpoint, call.operation) == ("ep", "InvokeEndpoint")
    assert call.body == b'{"inputs": "hi"}'
    assert call.json() == {"inputs": "hi"}
    assert call.headers == {
        "content-type": "application/json",
        "accept": "application/jsonlines",
        "x-amzn-sagemaker-custom-attributes": "trace=abc",
        "x-amzn-sagemaker-target-model": "model-a.tar.gz",
        "x-amzn-sagemaker-inference-id": "inf-1",
        "x-amzn-sagemaker-session-id": "sess-9",
        "x-amzn-sagemaker-enable-explanations": "`true`",
    }
    assert (call.content_type, call.accept, call.custom_attributes) == (
        "application/json",
        "application/jsonlines",
        "trace=abc",
    )
    assert (call.target_model, call.inference_id, call.session_id) == (
        "model-a.tar.gz",
        "inf-1",
        "sess-9",
    )
    assert call.enable_explanations == "`true`"
    # Routing headers SageMaker keeps to itself are among the request's headers.
    assert (call.target_variant, call.target_container_hostname, call.inference_component) == (
        "blue",
        "second",
        "ic-1",
    )
    assert "x-amzn-sagemaker-target-variant" not in call.headers
    assert call.request_headers["x-amz-date"]
    assert call.signed


async def test_stream_call_gets_accept_under_the_containers_name() -> None:
    async with FakeSageMaker() as fake, client_for(fake) as client:
        fake.endpoint("ep").stream([b"x"])
        out = await client.invoke_endpoint_with_response_stream(
            endpoint_name="ep", body=b"q", content_type="text/plain", accept="text/event-stream"
        )
        async with out:
            async for _ in out.body:
                pass
    [call] = fake.calls
    assert call.operation == "InvokeEndpointWithResponseStream"
    assert (call.content_type, call.accept, call.text) == ("text/plain", "text/event-stream", "q")


async def test_async_invocation_reads_its_input_from_local_s3(tmp_path: Path) -> None:
    (tmp_path / "bucket").mkdir()
    (tmp_path / "bucket" / "in.json").write_bytes(b'{"a": 1}')
    arrived = anyio.Event()

    def model(call: object) -> Reply:
        arrived.set()
        return Reply({"b": 2})

    async with FakeSageMaker(s3_root=tmp_path) as fake, client_for(fake) as client:
        fake.endpoint("ep", model=model)
        out = await client.invoke_endpoint_async(
            endpoint_name="ep",
            input_location="s3://bucket/in.json",
            content_type="application/json",
        )
        with anyio.fail_after(10):
            await arrived.wait()
    [call] = fake.calls
    assert call.operation == "InvokeEndpointAsync"
    assert call.body == b'{"a": 1}'
    assert call.content_type == "application/json"
    assert call.input_location == "s3://bucket/in.json"
    assert out.output_location is not None


async def test_credentials_are_never_recorded_or_shown(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    async with FakeSageMaker(check_signatures=True) as fake:
        async with client_for(fake, token=SESSION_TOKEN) as client:
            fake.endpoint("ep").respond(b"ok")
            await client.invoke_endpoint(endpoint_name="ep", body=b"body", custom_attributes="c=1")
        shown = " ".join(
            [repr(fake), repr(fake.endpoint("ep")), str(fake.endpoints), *map(repr, fake.calls)]
        )
    [call] = fake.calls
    assert call.signed
    recorded = " ".join(f"{name}={getattr(call, name)!r}" for name in Call.__slots__)
    for secret in (fake.secret_access_key, SESSION_TOKEN, "Signature=", "Credential="):
        assert secret not in recorded
        assert secret not in shown
        assert secret not in caplog.text
    assert "authorization" not in call.request_headers
    assert "x-amz-security-token" not in call.request_headers
    # Nor are bodies or custom attributes in a repr.
    assert "body" not in shown.replace("body=4 bytes", "")
    assert "c=1" not in shown


async def test_bad_signature_is_refused_and_not_recorded() -> None:
    async with FakeSageMaker(check_signatures=True) as fake:
        fake.endpoint("ep").respond(b"ok")
        async with client_for(fake, secret="wrong") as client:
            with pytest.raises(ServiceError) as excinfo:
                await client.invoke_endpoint(endpoint_name="ep", body=b"x")
    assert excinfo.value.code == "InvalidSignatureException"
    assert fake.calls == []
    assert fake.check_signatures


async def test_without_signature_checks_any_credentials_do() -> None:
    async with FakeSageMaker() as fake, client_for(fake, secret="anything") as client:
        fake.endpoint("ep").respond(b"ok")
        out = await client.invoke_endpoint(endpoint_name="ep", body=b"x")
    assert out.body == b"ok"
    assert not fake.check_signatures

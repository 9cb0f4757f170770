"""boto3, unchanged, against serve-local: the wire is what botocore expects."""

from __future__ import annotations

import json
import uuid
from typing import Any

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError, EventStreamError

from .conftest import Local
from .servers import ACCESS_KEY, SECRET_KEY, wait_for_file


def client(
    local: Local, *, access_key: str = ACCESS_KEY, secret: str = SECRET_KEY, **config: Any
) -> Any:
    return boto3.client(
        "sagemaker-runtime",
        region_name="us-east-1",
        endpoint_url=local.url,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret,
        config=Config(retries={"total_max_attempts": 1}, **config),
    )


def error_of(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, int, dict[str, Any]]:
    response = excinfo.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"], response


def test_invoke_echo(local: Local) -> None:
    out = client(local).invoke_endpoint(
        EndpointName="echo1", Body=b'{"inputs": [1, 2]}', ContentType="application/json"
    )
    assert out["Body"].read() == b'{"inputs": [1, 2]}'
    assert out["ContentType"] == "application/json"
    assert out["InvokedProductionVariant"] == "AllTraffic"
    assert uuid.UUID(out["ResponseMetadata"]["RequestId"])


def test_stream_echo_comes_back_in_parts(local: Local) -> None:
    body = b"the quick brown fox jumps over the lazy dog " * 3
    out = client(local).invoke_endpoint_with_response_stream(
        EndpointName="echo1", Body=body, ContentType="text/plain"
    )
    assert out["ContentType"] == "text/plain"
    assert out["InvokedProductionVariant"] == "AllTraffic"
    parts = [event["PayloadPart"]["Bytes"] for event in out["Body"]]
    assert len(parts) > 1
    assert b"".join(parts) == body


def test_container_gets_headers_and_returns_custom_attributes(local: Local) -> None:
    out = client(local).invoke_endpoint(
        EndpointName="model",
        Body=b"hello",
        ContentType="text/csv",
        Accept="application/json",
        CustomAttributes="trace=1",
    )
    seen = json.loads(out["Body"].read())
    assert seen == {
        "body": "hello",
        "content_type": "text/csv",
        "accept": "application/json",
        "custom_attributes": "trace=1",
    }
    assert out["ContentType"] == "application/json"
    assert out["CustomAttributes"] == "seen=trace=1"


def test_streaming_container_parts_follow_chunks(local: Local) -> None:
    out = client(local).invoke_endpoint_with_response_stream(
        EndpointName="model", Body=b"stream:one two three four", Accept="text/event-stream"
    )
    parts = [event["PayloadPart"]["Bytes"] for event in out["Body"]]
    assert parts == [b"one ", b"two ", b"three ", b"four "]
    assert out["ContentType"] == "text/event-stream"
    assert local.container.state.last_headers["accept"] == "text/event-stream"


def test_container_breaking_off_a_stream_is_a_model_stream_error(local: Local) -> None:
    out = client(local).invoke_endpoint_with_response_stream(
        EndpointName="model", Body=b"break:a b"
    )
    received = []
    with pytest.raises(EventStreamError) as excinfo:
        for event in out["Body"]:
            received.append(event["PayloadPart"]["Bytes"])
    assert received == [b"a ", b"b "]
    assert excinfo.value.response["Error"]["Code"] == "ModelStreamError"


def test_container_stalling_mid_stream_is_a_model_stream_error(local: Local) -> None:
    out = client(local).invoke_endpoint_with_response_stream(EndpointName="model", Body=b"stall:a")
    received = []
    with pytest.raises(EventStreamError) as excinfo:
        for event in out["Body"]:
            received.append(event["PayloadPart"]["Bytes"])
    assert received == [b"a "]
    assert excinfo.value.response["Error"]["Code"] == "ModelStreamError"
    assert "timed out" in excinfo.value.response["Error"]["Message"]


@pytest.mark.parametrize("status", [400, 500])
def test_container_error_is_model_error(local: Local, status: int) -> None:
    sm = client(local)
    with pytest.raises(sm.exceptions.ModelError) as excinfo:
        sm.invoke_endpoint(EndpointName="model", Body=f"fail:{status}:no good".encode())
    code, http_status, response = error_of(excinfo)
    assert (code, http_status) == ("ModelError", 424)
    assert response["OriginalStatusCode"] == status
    assert response["OriginalMessage"] == "no good"
    assert response["LogStreamArn"] == (
        "arn:aws:logs:us-east-1:123456789012:log-group:/aws/sagemaker/Endpoints/model"
    )
    kind = "client" if status == 400 else "server"
    assert response["Error"]["Message"].startswith(
        f'Received {kind} error ({status}) from primary with message "no good".'
    )


def test_container_error_on_stream_operation_is_model_error(local: Local) -> None:
    sm = client(local)
    with pytest.raises(sm.exceptions.ModelError) as excinfo:
        sm.invoke_endpoint_with_response_stream(EndpointName="model", Body=b"fail:503:busy")
    assert excinfo.value.response["OriginalStatusCode"] == 503


def test_slow_container_times_out_as_model_error(local: Local) -> None:
    sm = client(local)
    with pytest.raises(sm.exceptions.ModelError) as excinfo:
        sm.invoke_endpoint(EndpointName="model", Body=b"sleep:3")
    response = excinfo.value.response
    assert response["OriginalStatusCode"] == 0
    assert (
        "Your invocation timed out while waiting for a response from container primary"
        in (response["Error"]["Message"])
    )


def test_refused_container_is_service_unavailable(local: Local) -> None:
    sm = client(local)
    with pytest.raises(sm.exceptions.ServiceUnavailable) as excinfo:
        sm.invoke_endpoint(EndpointName="dead", Body=b"x")
    assert error_of(excinfo)[:2] == ("ServiceUnavailable", 503)


def test_container_failing_ping_is_not_ready(local: Local) -> None:
    sm = client(local)
    with pytest.raises(sm.exceptions.ModelNotReadyException) as excinfo:
        sm.invoke_endpoint(EndpointName="unready", Body=b"x")
    assert error_of(excinfo)[:2] == ("ModelNotReadyException", 429)


def test_unknown_endpoint(local: Local) -> None:
    sm = client(local)
    with pytest.raises(sm.exceptions.ValidationError) as excinfo:
        sm.invoke_endpoint(EndpointName="missing", Body=b"x")
    code, status, response = error_of(excinfo)
    assert (code, status) == ("ValidationError", 400)
    assert response["Error"]["Message"] == "Endpoint missing of account 123456789012 not found."


def test_invalid_endpoint_name_is_refused(local: Local) -> None:
    sm = client(local)
    with pytest.raises(sm.exceptions.ValidationError) as excinfo:
        sm.invoke_endpoint(EndpointName="bad_name", Body=b"x")
    assert "failed to satisfy constraint" in excinfo.value.response["Error"]["Message"]


def test_bad_signature(local: Local) -> None:
    with pytest.raises(ClientError) as excinfo:
        client(local, secret="not-the-secret").invoke_endpoint(EndpointName="echo1", Body=b"x")
    code, status, response = error_of(excinfo)
    assert (code, status) == ("InvalidSignatureException", 403)
    assert response["Error"]["Message"].startswith(
        "The request signature we calculated does not match the signature you provided."
    )


def test_unknown_access_key(local: Local) -> None:
    with pytest.raises(ClientError) as excinfo:
        client(local, access_key="AKIDUNKNOWN").invoke_endpoint(EndpointName="echo1", Body=b"x")
    code, status, response = error_of(excinfo)
    assert (code, status) == ("UnrecognizedClientException", 403)
    assert response["Error"]["Message"] == "The security token included in the request is invalid."


def test_unsigned_request_is_refused(local: Local) -> None:
    with pytest.raises(ClientError) as excinfo:
        client(local, signature_version=UNSIGNED).invoke_endpoint(EndpointName="echo1", Body=b"x")
    assert error_of(excinfo)[:2] == ("MissingAuthenticationTokenException", 403)


def test_oversized_body_is_refused_before_the_container(local: Local) -> None:
    before = local.container.state.invocations
    sm = client(local)
    with pytest.raises(sm.exceptions.ValidationError) as excinfo:
        sm.invoke_endpoint(EndpointName="model", Body=b"x" * (6 * 1024 * 1024 + 1))
    code, status, response = error_of(excinfo)
    assert (code, status) == ("ValidationError", 413)
    assert response["Error"]["Message"] == "HTTP content length exceeded 6291456 bytes."
    assert local.container.state.invocations == before
    # The limit itself is allowed, and the connection is still usable afterwards.
    out = sm.invoke_endpoint(EndpointName="echo1", Body=b"y" * (6 * 1024 * 1024))
    assert len(out["Body"].read()) == 6 * 1024 * 1024


def test_async_invocation_reads_and_writes_local_s3(local: Local) -> None:
    (local.s3_root / "inputs").mkdir(exist_ok=True)
    (local.s3_root / "inputs" / "req.json").write_bytes(b'{"async": true}')
    out = client(local).invoke_endpoint_async(
        EndpointName="model",
        InputLocation="s3://inputs/req.json",
        ContentType="application/json",
        InferenceId="my-inference",
    )
    assert out["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert out["InferenceId"] == "my-inference"
    output = out["OutputLocation"]
    assert output.startswith("s3://sagemaker-local/async-output/") and output.endswith(".out")
    assert out["FailureLocation"].startswith("s3://sagemaker-local/async-failures/")
    written = wait_for_file(local.s3_root / output.removeprefix("s3://"))
    assert json.loads(written)["body"] == '{"async": true}'
    assert json.loads(written)["content_type"] == "application/json"


def test_async_failure_goes_to_failure_location(local: Local) -> None:
    out = client(local).invoke_endpoint_async(
        EndpointName="echo1", InputLocation="s3://inputs/does-not-exist.json"
    )
    failure = wait_for_file(local.s3_root / out["FailureLocation"].removeprefix("s3://"))
    assert b"does-not-exist.json" in failure
    assert not (local.s3_root / out["OutputLocation"].removeprefix("s3://")).exists()


def test_async_output_path_extension_and_filename(local: Local) -> None:
    (local.s3_root / "inputs").mkdir(exist_ok=True)
    (local.s3_root / "inputs" / "a.txt").write_bytes(b"payload")
    out = client(local).invoke_endpoint_async(
        EndpointName="echo1",
        InputLocation="s3://inputs/a.txt",
        S3OutputPathExtension="team/run1",
        Filename="result.txt",
    )
    assert out["OutputLocation"] == "s3://sagemaker-local/async-output/team/run1/result.txt"
    assert (
        wait_for_file(local.s3_root / "sagemaker-local/async-output/team/run1/result.txt")
        == b"payload"
    )


def test_header_constraints_are_checked_like_the_service(local: Local) -> None:
    sm = client(local)
    with pytest.raises(sm.exceptions.ValidationError) as excinfo:
        sm.invoke_endpoint(EndpointName="echo1", Body=b"x", TargetVariant="not_valid")
    message = excinfo.value.response["Error"]["Message"]
    assert message.startswith("1 validation error detected: Value at 'targetVariant'")
    with pytest.raises(sm.exceptions.ValidationError) as excinfo:
        sm.invoke_endpoint_async(EndpointName="echo1", InputLocation="ftp://b/k")
    assert "inputLocation" in excinfo.value.response["Error"]["Message"]

"""The server in-process (asyncio and trio): HTTP/1.1 details and configuration."""

from __future__ import annotations

import json
from pathlib import Path

import anyio
import pytest

from aiosagemaker_runtime.local import (
    ConfigError,
    EndpointTarget,
    LocalConfig,
    parse_endpoint_option,
    running,
)
from aiosagemaker_runtime.local._config import load_config_file
from aiosagemaker_runtime.local._targets import split_for_stream


async def _exchange(url: str, data: bytes, until: bytes, *, expect_close: bool = False) -> bytes:
    host, port = url.removeprefix("http://").split(":")
    received = b""
    async with await anyio.connect_tcp(host, int(port)) as stream:
        await stream.send(data)
        with anyio.fail_after(5):
            while until not in received:
                try:
                    received += await stream.receive()
                except anyio.EndOfStream:
                    break
            if expect_close:
                with pytest.raises((anyio.EndOfStream, anyio.BrokenResourceError)):
                    while True:
                        received += await stream.receive()
    return received


ECHO = LocalConfig.serving({"e": "echo"}, port=0)


@pytest.mark.anyio
async def test_keep_alive_and_pipelining() -> None:
    async with running(ECHO) as url:
        request = (
            b"POST /endpoints/e/invocations HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
            b"Content-Type: text/plain\r\n\r\n"
        )
        data = await _exchange(url, request + b"one" + request + b"two", b"two")
        assert data.count(b"HTTP/1.1 200 OK") == 2
        assert data.index(b"one") < data.index(b"two")


@pytest.mark.anyio
async def test_expect_100_continue() -> None:
    async with running(ECHO) as url:
        host, port = url.removeprefix("http://").split(":")
        async with await anyio.connect_tcp(host, int(port)) as stream:
            await stream.send(
                b"POST /endpoints/e/invocations HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n"
                b"Expect: 100-continue\r\n\r\n"
            )
            with anyio.fail_after(5):
                interim = await stream.receive()
            assert interim.startswith(b"HTTP/1.1 100 ")
            await stream.send(b"body")
            received = b""
            with anyio.fail_after(5):
                while not received.endswith(b"body"):
                    received += await stream.receive()
            assert received.startswith(b"HTTP/1.1 200 ")


@pytest.mark.anyio
async def test_malformed_request_gets_400_and_close() -> None:
    async with running(ECHO) as url:
        data = await _exchange(url, b"NOT HTTP AT ALL\r\n\r\n", b"\r\n\r\n", expect_close=True)
        assert data.startswith(b"HTTP/1.1 400 ")


@pytest.mark.anyio
async def test_no_credentials_means_no_authentication() -> None:
    async with running(ECHO) as url:
        request = (
            b"POST /endpoints/e/invocations HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi"
        )
        data = await _exchange(url, request, b"\r\n\r\nhi")
        assert data.startswith(b"HTTP/1.1 200 ")


@pytest.mark.anyio
async def test_async_without_s3_root_is_explained() -> None:
    async with running(ECHO) as url:
        request = (
            b"POST /endpoints/e/async-invocations HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n"
            b"X-Amzn-SageMaker-InputLocation: s3://b/k\r\n\r\n"
        )
        data = await _exchange(url, request, b"}")
        head, _, body = data.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 400 ")
        assert b"x-amzn-ErrorType: ValidationError" in head
        assert "--s3-root" in json.loads(body)["message"]


def test_parse_endpoint_option() -> None:
    assert parse_endpoint_option("a=echo") == EndpointTarget("a", "echo")
    assert parse_endpoint_option("m-1=http://127.0.0.1:9000/") == EndpointTarget(
        "m-1", "http://127.0.0.1:9000"
    )
    for bad in ("noequals", "=echo", "bad_name=echo", "a=ftp://x", "a="):
        with pytest.raises(ConfigError):
            parse_endpoint_option(bad)


def test_config_file(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    path.write_text(
        json.dumps(
            {
                "endpoints": {"e": "echo", "m": {"url": "http://127.0.0.1:1", "variant": "v2"}},
                "credentials": {"AKID": "secret"},
                "s3_root": "s3",
                "container_timeout": 5,
            }
        )
    )
    settings = load_config_file(path)
    assert settings["endpoints"]["m"] == EndpointTarget("m", "http://127.0.0.1:1", "v2")
    assert settings["s3_root"] == tmp_path / "s3"
    assert settings["container_timeout"] == 5.0
    path.write_text('{"endpoint": {}}')
    with pytest.raises(ConfigError, match="unknown keys"):
        load_config_file(path)
    path.write_text("{not json")
    with pytest.raises(ConfigError, match="not valid JSON"):
        load_config_file(path)


def test_split_for_stream() -> None:
    body = b"a b c d e f g h i j k l"
    parts = split_for_stream(body)
    assert 1 < len(parts) <= 8
    assert b"".join(parts) == body
    assert b"".join(split_for_stream(b"x" * 100)) == b"x" * 100
    assert split_for_stream(b"") == []


@pytest.mark.anyio
async def test_running_with_the_client_in_process() -> None:
    from aiosagemaker_runtime import SageMakerRuntimeClient

    config = LocalConfig.serving({"e": "echo"}, port=0, credentials={"AKIDINPROC": "s3cr3t"})
    async with (
        running(config) as url,
        SageMakerRuntimeClient(
            region_name="us-east-1",
            endpoint_url=url,
            aws_access_key_id="AKIDINPROC",
            aws_secret_access_key="s3cr3t",
        ) as client,
    ):
        out = await client.invoke_endpoint(endpoint_name="e", body=b"in process")
        assert out.body == b"in process"
        stream = await client.invoke_endpoint_with_response_stream(endpoint_name="e", body=b"x y z")
        async with stream:
            assert b"".join([part.bytes or b"" async for part in stream.body]) == b"x y z"

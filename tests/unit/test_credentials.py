"""Credentials: explicit keys, botocore's chain off the loop, single-flight refresh."""

from __future__ import annotations

import json
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import anyio
import pytest

from aiosagemaker_runtime._auth import credentials as _credentials
from aiosagemaker_runtime._auth.credentials import CredentialResolver, Credentials
from aiosagemaker_runtime._exceptions import CredentialsError

SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
TOKEN = "IQoJb3JpZ2luX2VjEXAMPLETOKEN"


def test_repr_hides_secret_and_token() -> None:
    creds = Credentials("AKIDEXAMPLE", SECRET, TOKEN)
    for text in (repr(creds), str(creds), f"{creds}", repr([creds])):
        assert SECRET not in text and TOKEN not in text
        assert "AKIDEXAMPLE" in text
    assert "token=None" in repr(Credentials("a", "b"))
    with pytest.raises(AttributeError):
        creds.secret_key = "x"  # type: ignore[misc]
    assert creds == Credentials("AKIDEXAMPLE", SECRET, TOKEN)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"access_key": "AKID"},
        {"secret_key": SECRET},
        {"access_key": "AKID", "token": TOKEN},
        {"token": TOKEN},
        {"access_key": "", "secret_key": SECRET},
    ],
)
def test_partial_explicit_credentials(kwargs: dict[str, str]) -> None:
    with pytest.raises(CredentialsError) as info:
        CredentialResolver(**kwargs)
    assert SECRET not in str(info.value) and TOKEN not in str(info.value)


@pytest.mark.anyio
async def test_explicit_credentials() -> None:
    resolver = CredentialResolver("AKID", SECRET, TOKEN)
    assert await resolver.get() == Credentials("AKID", SECRET, TOKEN)
    assert SECRET not in repr(resolver)
    assert await CredentialResolver("AKID", SECRET, "").get() == Credentials("AKID", SECRET)


@pytest.mark.anyio
async def test_chain_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDENV")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.setenv("AWS_SESSION_TOKEN", TOKEN)
    resolver = CredentialResolver()
    assert resolver.ready() is None  # not resolved yet: get() must be awaited
    assert await resolver.get() == Credentials("AKIDENV", SECRET, TOKEN)
    assert resolver.ready() == Credentials("AKIDENV", SECRET, TOKEN)


def test_explicit_credentials_are_ready_at_once() -> None:
    assert CredentialResolver("AKID", SECRET, TOKEN).ready() == Credentials("AKID", SECRET, TOKEN)


@pytest.mark.anyio
async def test_chain_from_profile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "credentials"
    path.write_text(
        "[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = s1\n\n"
        "[dev]\naws_access_key_id = AKIDDEV\naws_secret_access_key = s2\n"
    )
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(path))
    assert await CredentialResolver().get() == Credentials("AKIDDEFAULT", "s1")
    assert await CredentialResolver(profile_name="dev").get() == Credentials("AKIDDEV", "s2")
    with pytest.raises(CredentialsError, match="ProfileNotFound") as info:
        await CredentialResolver(profile_name="nope").get()
    assert info.value.__cause__ is not None


@pytest.mark.anyio
async def test_chain_from_credential_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    counter = tmp_path / "calls"
    script = tmp_path / "creds.py"
    expiration = (datetime.now(timezone.utc) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    script.write_text(
        "import json, pathlib\n"
        f"p = pathlib.Path({str(counter)!r})\n"
        "p.write_text(str(int(p.read_text() or 0) + 1) if p.exists() else '1')\n"
        "print(json.dumps({'Version': 1, 'AccessKeyId': 'AKIDPROC', 'SecretAccessKey': 'sp',"
        f" 'SessionToken': 'tp', 'Expiration': {expiration!r}}}))\n"
    )
    config = tmp_path / "config"
    config.write_text(f"[profile proc]\ncredential_process = {sys.executable} {script}\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    resolver = CredentialResolver(profile_name="proc")
    for _ in range(20):
        assert await resolver.get() == Credentials("AKIDPROC", "sp", "tp")
    assert counter.read_text() == "1"  # fresh credentials are not fetched again


@pytest.mark.anyio
async def test_no_credentials(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    resolver = CredentialResolver()
    with pytest.raises(CredentialsError, match="Unable to locate AWS credentials:"):
        await resolver.get()
    with pytest.raises(CredentialsError, match="Unable to locate"):
        await resolver.get()  # and it keeps saying so
    config = tmp_path / "config"
    config.write_text("[profile empty]\nregion = eu-west-1\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    with pytest.raises(CredentialsError, match="for profile 'empty'"):
        await CredentialResolver(profile_name="empty").get()


class Refresher:
    """botocore RefreshableCredentials whose refresh function we control."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, first_expiry: timedelta) -> None:
        from botocore.credentials import RefreshableCredentials

        self.calls = 0
        self.fail = False
        self.delay = 0.2
        self.threads: set[int] = set()
        self.source = RefreshableCredentials.create_from_metadata(
            self._metadata(0, first_expiry), self._refresh, "test"
        )
        monkeypatch.setattr("botocore.session.Session.get_credentials", lambda session: self.source)
        monkeypatch.setattr(_credentials, "_CHECK_INTERVAL", 0.0)

    @staticmethod
    def _metadata(n: int, expires_in: timedelta) -> dict[str, str]:
        expiry = datetime.now(timezone.utc) + expires_in
        return {
            "access_key": f"AKID{n}",
            "secret_key": f"secret{n}",
            "token": f"token{n}",
            "expiry_time": expiry.isoformat(),
        }

    def _refresh(self) -> dict[str, str]:
        self.threads.add(threading.get_ident())
        time.sleep(self.delay)
        self.calls += 1
        if self.fail:
            raise RuntimeError("metadata service unavailable")
        return self._metadata(self.calls, timedelta(hours=1))

    def expire_soon(self) -> None:
        self.source._expiry_time = datetime.now(timezone.utc) + timedelta(minutes=1)


async def _many(resolver: CredentialResolver, n: int) -> list[Credentials]:
    results: list[Credentials] = []

    async def one() -> None:
        results.append(await resolver.get())

    async with anyio.create_task_group() as tg:
        for _ in range(n):
            tg.start_soon(one)
    return results


@pytest.mark.anyio
async def test_single_flight_refresh(monkeypatch: pytest.MonkeyPatch) -> None:
    refresher = Refresher(monkeypatch, first_expiry=timedelta(minutes=5))  # must refresh now
    hops: list[Any] = []
    original = anyio.to_thread.run_sync

    async def spy(*args: Any, **kwargs: Any) -> Any:
        hops.append(args)
        return await original(*args, **kwargs)

    monkeypatch.setattr(anyio.to_thread, "run_sync", spy)
    resolver = CredentialResolver()
    results = await _many(resolver, 50)
    assert refresher.calls == 1
    assert len(hops) == 1  # one task went to a thread; the others waited for its result
    assert set(results) == {Credentials("AKID1", "secret1", "token1")}
    assert threading.get_ident() not in refresher.threads  # refreshed off the loop thread

    # Fresh: no refresh at all.
    await _many(resolver, 50)
    assert refresher.calls == 1

    refresher.expire_soon()
    results = await _many(resolver, 50)
    assert refresher.calls == 2
    assert len(hops) == 2
    assert set(results) == {Credentials("AKID2", "secret2", "token2")}


@pytest.mark.anyio
async def test_refresh_does_not_block_the_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    refresher = Refresher(monkeypatch, first_expiry=timedelta(minutes=5))
    refresher.delay = 0.3
    resolver = CredentialResolver()
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await anyio.sleep(0.01)
            ticks += 1

    async with anyio.create_task_group() as tg:
        tg.start_soon(ticker)
        await resolver.get()
        tg.cancel_scope.cancel()
    assert ticks >= 10


@pytest.mark.anyio
async def test_refresh_failure_then_retry(monkeypatch: pytest.MonkeyPatch) -> None:
    refresher = Refresher(monkeypatch, first_expiry=timedelta(minutes=5))
    refresher.delay = 0.0
    refresher.fail = True
    resolver = CredentialResolver()
    with pytest.raises(CredentialsError, match="metadata service unavailable") as info:
        await resolver.get()
    assert isinstance(info.value.__cause__, RuntimeError)
    refresher.fail = False
    assert await resolver.get() == Credentials("AKID2", "secret2", "token2")


@pytest.mark.anyio
async def test_fast_path_does_not_use_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDENV")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    resolver = CredentialResolver()
    await resolver.get()
    calls: list[Any] = []
    original = anyio.to_thread.run_sync

    async def spy(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        return await original(*args, **kwargs)

    monkeypatch.setattr(anyio.to_thread, "run_sync", spy)
    for _ in range(100):
        await resolver.get()
    assert calls == []


def test_importing_does_not_import_botocore() -> None:
    import subprocess

    code = (
        "import sys, aiosagemaker_runtime._auth.credentials; assert 'botocore' not in sys.modules"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


@pytest.mark.anyio
async def test_nothing_secret_is_logged(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from aiosagemaker_runtime._auth.sigv4 import EMPTY_SHA256, sign_request
    from aiosagemaker_runtime._http import HTTPRequest

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDENV")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.setenv("AWS_SESSION_TOKEN", TOKEN)
    caplog.set_level("DEBUG")
    credentials = await CredentialResolver().get()
    request = HTTPRequest("POST", "https://example.com/", [])
    sign_request(
        request, credentials, region="us-east-1", service="sagemaker", payload_sha256=EMPTY_SHA256
    )
    assert caplog.records  # botocore did log at DEBUG
    for record in caplog.records:
        text = record.getMessage()
        assert SECRET not in text and TOKEN not in text


@pytest.mark.anyio
async def test_container_credentials_over_http(monkeypatch: pytest.MonkeyPatch) -> None:
    """The container provider of botocore's chain, against a local metadata server."""
    import http.server

    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.headers.get("Authorization", ""))
            # The first answer is about to expire, so botocore refreshes it at once.
            expires_in = timedelta(minutes=5) if len(hits) == 1 else timedelta(hours=1)
            expiration = datetime.now(timezone.utc) + expires_in
            body = json.dumps(
                {
                    "AccessKeyId": f"AKIDCONTAINER{len(hits)}",
                    "SecretAccessKey": "s",
                    "Token": "t",
                    "Expiration": expiration.strftime("%Y-%m-%dT%H:%M:%SZ"),
                }
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        port = server.server_address[1]
        monkeypatch.setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", f"http://127.0.0.1:{port}/creds")
        monkeypatch.setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "container-auth")
        resolver = CredentialResolver()
        results = await _many(resolver, 30)
        assert len(hits) == 2  # the initial load and its immediate refresh; no herd
        assert hits == ["container-auth", "container-auth"]
        assert set(results) == {Credentials("AKIDCONTAINER2", "s", "t")}
    finally:
        server.shutdown()
        server.server_close()

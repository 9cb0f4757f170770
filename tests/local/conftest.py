"""One serve-local subprocess per module, with echo, container, failing and dead endpoints."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from .servers import (
    ACCESS_KEY,
    SECRET_KEY,
    Container,
    ServeLocal,
    closed_port,
    run_container,
    start_serve_local,
)


@dataclass
class Local:
    """The running server and what stands behind it."""

    url: str
    s3_root: Path
    container: Container
    server: ServeLocal


@pytest.fixture(scope="module")
def container() -> Iterator[Container]:
    with run_container() as running:
        yield running


@pytest.fixture(scope="module")
def local(container: Container, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Local]:
    s3_root = tmp_path_factory.mktemp("s3")
    with run_container(ping_status=503) as unready:
        server = start_serve_local(
            [
                "--endpoint", "echo1=echo",
                "--endpoint", f"model={container.url}",
                "--endpoint", f"unready={unready.url}",
                "--endpoint", f"dead=http://127.0.0.1:{closed_port()}",
                "--access-key-id", ACCESS_KEY,
                "--secret-access-key", SECRET_KEY,
                "--s3-root", str(s3_root),
                "--container-timeout", "1",
            ]
        )  # fmt: skip
        try:
            yield Local(server.url, s3_root, container, server)
        finally:
            status = server.stop()
        assert status == 0, "".join(server.stderr_lines)

"""The background TLS context build (``_transports.tls.prefetch`` / ``verifying_context``)
on its own: taken once, for the settings it was built for, never waited on in a forked
child. Builds are replaced by a function that records its thread and can be held."""

from __future__ import annotations

import os
import signal
import ssl
import threading
from collections.abc import Iterator

import pytest

from aiosagemaker_runtime._transports import tls

THREAD = "aiosagemaker-runtime-tls"


class FakeBuild:
    def __init__(self) -> None:
        self.threads: list[str] = []
        self.release = threading.Event()
        self.release.set()
        self.fail = False

    def __call__(self) -> ssl.SSLContext:
        self.threads.append(threading.current_thread().name)
        self.release.wait(10)
        if self.fail:
            raise FileNotFoundError(2, "No such file or directory")
        return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)


def join_builds() -> None:
    for thread in threading.enumerate():
        if thread.name == THREAD:
            thread.join(10)


@pytest.fixture
def build(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeBuild]:
    join_builds()
    tls._pending.clear()
    monkeypatch.setenv("AWS_CA_BUNDLE", "/bundle/of/this/test.pem")
    fake = FakeBuild()
    monkeypatch.setattr(tls, "ssl_context_from_env", fake)
    yield fake
    fake.release.set()
    join_builds()
    tls._pending.clear()


def test_prefetched_context_is_taken_once(build: FakeBuild) -> None:
    tls.prefetch(None)
    tls.prefetch(None)  # already pending for the same settings: not started twice
    first = tls.verifying_context(None)
    second = tls.verifying_context(None)  # the next taker builds its own
    assert first is not None and second is not None and first is not second
    assert build.threads[0] == THREAD and build.threads[1] != THREAD
    assert len(build.threads) == 2


def test_taker_waits_for_a_build_in_progress(build: FakeBuild) -> None:
    build.release.clear()
    tls.prefetch(None)
    got: list[ssl.SSLContext | None] = []
    taker = threading.Thread(target=lambda: got.append(tls.verifying_context(None)))
    taker.start()
    taker.join(0.2)
    assert taker.is_alive() and got == []  # waiting for the background build
    build.release.set()
    taker.join(10)
    assert got and got[0] is not None
    assert build.threads == [THREAD]


def _prefetch_then_change_bundle(monkeypatch: pytest.MonkeyPatch) -> None:
    """A finished prefetch for the default settings, then a different CA bundle."""
    tls.prefetch(None)
    join_builds()
    monkeypatch.setenv("AWS_CA_BUNDLE", "/another/bundle.pem")


def test_other_settings_at_the_take_are_built_anew(
    build: FakeBuild, monkeypatch: pytest.MonkeyPatch
) -> None:
    _prefetch_then_change_bundle(monkeypatch)
    assert tls.verifying_context(None) is not None
    assert build.threads[0] == THREAD and build.threads[1] != THREAD


def test_new_settings_restart_the_prefetch(
    build: FakeBuild, monkeypatch: pytest.MonkeyPatch
) -> None:
    tls.prefetch(None)
    monkeypatch.setenv("AWS_CA_BUNDLE", "/another/bundle.pem")
    tls.prefetch(None)
    join_builds()
    assert tls.verifying_context(None) is not None
    assert build.threads == [THREAD, THREAD]  # the taker used the second one


def test_failed_build_is_raised_by_the_taker(build: FakeBuild) -> None:
    build.fail = True
    tls.prefetch(None)
    join_builds()
    assert tls._pending == {}  # a failed build is not kept for the next prefetch
    with pytest.raises(FileNotFoundError):
        tls.verifying_context(None)
    assert build.threads[0] == THREAD and build.threads[1] != THREAD


def test_not_needed_builds_nothing(build: FakeBuild) -> None:
    tls.prefetch(None, lambda: False)
    join_builds()
    assert build.threads == [] and tls._pending == {}
    tls.prefetch(None, lambda: True)  # a later prefetch is not blocked by the first
    join_builds()
    assert build.threads == [THREAD]


def test_forked_child_does_not_wait_for_the_parents_build(build: FakeBuild) -> None:
    build.release.clear()  # the parent's build is in progress at the fork
    tls.prefetch(None)
    pid = os.fork()
    if pid == 0:  # the child: without the at-fork reset it would wait forever
        code = 1
        try:
            signal.alarm(10)
            build.release.set()  # the child's own build is not held
            code = 0 if tls.verifying_context(None) is not None else 1
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0


def test_finished_build_is_taken_without_waiting(build: FakeBuild) -> None:
    tls.prefetch(None)
    join_builds()
    context = tls.prefetched_context(None)
    assert context is not None
    assert tls.prefetched_context(None) is None  # taken once
    assert tls.verifying_context(None) is not context  # the next taker builds its own
    assert build.threads[0] == THREAD and build.threads[1] != THREAD


def test_build_in_progress_is_left_to_the_waiting_taker(build: FakeBuild) -> None:
    build.release.clear()
    tls.prefetch(None)
    assert tls.prefetched_context(None) is None  # not finished: no wait here
    build.release.set()
    assert tls.verifying_context(None) is not None  # still pending: taken, not rebuilt
    assert build.threads == [THREAD]


def test_finished_build_for_other_settings_is_not_taken(
    build: FakeBuild, monkeypatch: pytest.MonkeyPatch
) -> None:
    _prefetch_then_change_bundle(monkeypatch)
    assert tls.prefetched_context(None) is None
    assert tls._pending == {}
    assert tls.verifying_context(None) is not None
    assert build.threads[0] == THREAD and build.threads[1] != THREAD


def test_failed_build_is_not_taken(build: FakeBuild) -> None:
    build.fail = True
    tls.prefetch(None)
    join_builds()
    assert tls.prefetched_context(None) is None

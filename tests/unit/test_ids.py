"""uuid4_str: RFC 4122 version-4 text from os.urandom."""

from __future__ import annotations

import os
import uuid

import pytest

from aiosagemaker_runtime._ids import uuid4_str


def test_uuid4_str_is_a_version_4_rfc_4122_uuid() -> None:
    seen = set()
    for _ in range(2000):
        text = uuid4_str()
        parsed = uuid.UUID(text)
        assert str(parsed) == text
        assert parsed.version == 4
        assert parsed.variant == uuid.RFC_4122
        seen.add(text)
    assert len(seen) == 2000


def test_uuid4_str_every_random_digit_varies() -> None:
    # 122 random bits: every hex digit but the version's takes many values; the
    # variant digit keeps two random bits (8, 9, a, b). Spans several batches.
    texts = [uuid4_str().replace("-", "") for _ in range(3000)]
    for position in range(32):
        seen = {text[position] for text in texts}
        if position == 12:
            assert seen == {"4"}
        elif position == 16:
            assert seen == set("89ab")
        else:
            assert len(seen) == 16, position


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork is POSIX only")
def test_uuid4_str_a_forked_child_never_reuses_the_parents_ids() -> None:
    uuid4_str()  # the parent now holds a batch of ids not handed out yet
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        try:
            os.write(write_end, "".join(uuid4_str() for _ in range(10)).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as reader:
        child = reader.read().decode()
    os.waitpid(pid, 0)
    child_ids = {child[i : i + 36] for i in range(0, len(child), 36)}
    assert len(child_ids) == 10
    parent_ids = {uuid4_str() for _ in range(600)}
    assert not child_ids & parent_ids

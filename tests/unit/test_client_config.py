"""ClientConfig behaves as a frozen dataclass: equal, hashable, immutable, copyable.

It is frozen by its own ``__setattr__``/``__delattr__``/``__hash__`` rather than
``frozen=True`` (cheaper to import); these check what callers rely on.
"""

from __future__ import annotations

import copy
import dataclasses
import pickle

import pytest

from aiosagemaker_runtime import ClientConfig, ParamValidationError


def test_equal_and_hashable_by_value() -> None:
    a, b = ClientConfig(max_attempts=5), ClientConfig(max_attempts=5)
    assert a == b and hash(a) == hash(b)
    assert a != ClientConfig(max_attempts=4)
    assert len({a, b, ClientConfig(max_attempts=4)}) == 2


def test_fields_cannot_be_assigned_deleted_or_added() -> None:
    config = ClientConfig()
    with pytest.raises(dataclasses.FrozenInstanceError, match="max_attempts"):
        config.max_attempts = 2  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError, match="read_timeout"):
        del config.read_timeout
    with pytest.raises(AttributeError):
        config.other = 1
    assert config.max_attempts == 3 and config.read_timeout == 70.0


def test_copies_replace_merge_and_pickle() -> None:
    config = ClientConfig(read_timeout=5.0, http_backend="aiohttp")
    assert pickle.loads(pickle.dumps(config)) == config
    assert copy.copy(config) == config and copy.deepcopy(config) == config
    assert dataclasses.replace(config, max_attempts=1).max_attempts == 1
    merged = config.merge(connect_timeout=2.0)
    assert (merged.connect_timeout, merged.read_timeout) == (2.0, 5.0)
    assert [f.name for f in dataclasses.fields(config)][:2] == ["connect_timeout", "read_timeout"]


def test_validation_still_runs_on_replace() -> None:
    with pytest.raises(ParamValidationError, match="max_attempts"):
        dataclasses.replace(ClientConfig(), max_attempts=0)

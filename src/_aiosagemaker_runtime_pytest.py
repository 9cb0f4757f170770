"""pytest plugin of aiosagemaker-runtime (the package's ``pytest11`` entry point): the
``fake_sagemaker`` fixture and its marker.

::

    def test_predict(fake_sagemaker):
        fake_sagemaker.endpoint("model").respond({"label": "cat"})
        client = boto3.client("sagemaker-runtime", endpoint_url=fake_sagemaker.url, ...)

The fake runs in a thread of its own (see :class:`~aiosagemaker_runtime.testing.
FakeSageMaker`), so the fixture serves synchronous tests and async tests of any event
loop (pytest-asyncio, anyio, trio) alike. ``@pytest.mark.fake_sagemaker(**settings)``
passes ``FakeSageMaker`` settings (``check_signatures=True``, ``region=...``).

A module of its own, outside ``aiosagemaker_runtime``: pytest imports every installed
plugin when it starts, and importing any module of the package imports the package
(the client and its layers). This one imports only pytest; the fake is imported when a
test first uses the fixture.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from aiosagemaker_runtime.testing import FakeSageMaker

__all__ = ["fake_sagemaker", "pytest_configure"]


def pytest_configure(config: pytest.Config) -> None:
    """Declare the ``fake_sagemaker`` marker (for ``--strict-markers``)."""
    config.addinivalue_line(
        "markers",
        "fake_sagemaker(**settings): settings of the fake_sagemaker fixture's FakeSageMaker "
        "(check_signatures=True, region=..., s3_root=...)",
    )


@pytest.fixture
def fake_sagemaker(request: pytest.FixtureRequest) -> Iterator[FakeSageMaker]:
    """A running fake SageMaker Runtime for this test (see :class:`FakeSageMaker`)."""
    from aiosagemaker_runtime.testing._fake import FakeSageMaker

    marker = request.node.get_closest_marker("fake_sagemaker")
    settings = dict(marker.kwargs) if marker is not None else {}
    with FakeSageMaker(**settings) as fake:
        yield fake

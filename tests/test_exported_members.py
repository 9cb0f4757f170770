"""The package's public surface: a change here must be deliberate (update both lists)."""

from __future__ import annotations

import aiosagemaker_runtime

EXPECTED = {
    "ClientConfig",
    "ConnectTimeoutError",
    "CredentialsError",
    "EndpointConnectionError",
    "EventStream",
    "EventStreamError",
    "InternalDependencyException",
    "InternalFailure",
    "InternalStreamFailure",
    "ModelError",
    "ModelNotReadyException",
    "ModelStreamError",
    "ParamValidationError",
    "ReadTimeoutError",
    "SageMakerRuntimeClient",
    "SageMakerRuntimeError",
    "SageMakerRuntimeHTTP2Client",
    "ServiceError",
    "ServiceUnavailable",
    "TransportError",
    "ValidationError",
    "__version__",
}


def test_all_is_the_expected_surface() -> None:
    assert set(aiosagemaker_runtime.__all__) == EXPECTED
    assert len(aiosagemaker_runtime.__all__) == len(EXPECTED)


def test_every_export_exists_and_is_ours() -> None:
    for name in aiosagemaker_runtime.__all__:
        member = getattr(aiosagemaker_runtime, name)
        if name == "__version__":
            assert isinstance(member, str)
            continue
        assert member.__module__.startswith("aiosagemaker_runtime"), name


def test_public_names_outside_all_are_modules_only() -> None:
    import types

    public = {name for name in dir(aiosagemaker_runtime) if not name.startswith("_")}
    extra = {
        name
        for name in public - set(aiosagemaker_runtime.__all__)
        if not isinstance(getattr(aiosagemaker_runtime, name), types.ModuleType)
    }
    assert extra == set()


def test_exceptions_also_in_errors_module() -> None:
    from aiosagemaker_runtime import errors

    for name in aiosagemaker_runtime.__all__:
        member = getattr(aiosagemaker_runtime, name)
        if isinstance(member, type) and issubclass(member, Exception):
            assert getattr(errors, name) is member


def test_version_matches_distribution_metadata() -> None:
    from importlib.metadata import version

    assert aiosagemaker_runtime.__version__ == version("aiosagemaker-runtime")


def test_the_http2_client_is_imported_on_first_use() -> None:
    """A plain import loads neither the bidirectional-stream package nor h2."""
    import subprocess
    import sys

    probe = (
        "import sys, aiosagemaker_runtime as a\n"
        "def loaded():\n"
        "    return (any(m.startswith('aiosagemaker_runtime._generated_http2') for m in sys.modules),"
        " 'h2' in sys.modules)\n"
        "print(loaded())\n"
        "from aiosagemaker_runtime import SageMakerRuntimeHTTP2Client\n"
        "print(loaded(), SageMakerRuntimeHTTP2Client.__name__)\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.splitlines() == [
        "(False, False)",
        "(True, False) SageMakerRuntimeHTTP2Client",
    ]

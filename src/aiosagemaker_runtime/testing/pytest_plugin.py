"""The pytest plugin under its former module name: the ``fake_sagemaker`` fixture and
marker of ``_aiosagemaker_runtime_pytest``, the module the ``pytest11`` entry point now
names (outside the package, so that pytest's start-up does not import the package).

Kept for installs whose entry point still names this module, and for
``pytest_plugins = ["aiosagemaker_runtime.testing.pytest_plugin"]``.
"""

from _aiosagemaker_runtime_pytest import fake_sagemaker, pytest_configure

__all__ = ["fake_sagemaker", "pytest_configure"]

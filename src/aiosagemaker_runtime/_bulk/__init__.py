"""The machinery behind :mod:`aiosagemaker_runtime.bulk` (private)."""

"""``python -m aiosagemaker_runtime``: the ``aiosagemaker-runtime`` command."""

from .cli import main

raise SystemExit(main())

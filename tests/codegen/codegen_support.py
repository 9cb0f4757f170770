"""Paths and helpers shared by the code generator tests."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # the generator runs from the project root (python -m codegen)
    sys.path.insert(0, str(ROOT))

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures"
GOLDEN = HERE / "golden"
WIDGETS_MODEL = FIXTURES / "widgets-2020-01-01.json"
SEED_MODEL = ROOT / "service-model" / "seed-2017-05-13.json"
CURRENT_MODEL = ROOT / "service-model" / "sagemaker-runtime-2017-05-13.json"


def botocore_model_path(service: str) -> Path:
    """The newest ``service-2.json.gz`` botocore ships for ``service``."""
    import botocore

    data = Path(botocore.__file__).parent / "data" / service
    return sorted(data.glob("*/service-2.json.gz"))[-1]

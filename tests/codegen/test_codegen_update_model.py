"""``make update-model``: the vendored models are botocore's, verbatim, with their sha256."""

from __future__ import annotations

import gzip
import hashlib
import shutil
from pathlib import Path

from codegen_support import ROOT, botocore_model_path

from codegen.update_model import update

VENDORED = ROOT / "service-model"


def test_vendored_models_are_botocores_verbatim() -> None:
    source = botocore_model_path("sagemaker-runtime")
    model = VENDORED / "sagemaker-runtime-2017-05-13.json"
    rules = VENDORED / "sagemaker-runtime-2017-05-13.endpoint-rule-set-1.json"
    assert model.read_bytes() == gzip.decompress(source.read_bytes())
    assert rules.read_bytes() == gzip.decompress(
        source.with_name("endpoint-rule-set-1.json.gz").read_bytes()
    )
    text = (VENDORED / "SOURCE.md").read_text(encoding="utf-8")
    for path in (model, rules, VENDORED / "seed-2017-05-13.json"):
        assert hashlib.sha256(path.read_bytes()).hexdigest() in text, path.name


def test_update_refreshes_a_stale_model_and_keeps_the_seed(tmp_path: Path) -> None:
    (tmp_path / "sagemaker-runtime-2017-05-13.json").write_text("{}", encoding="utf-8")
    shutil.copy(VENDORED / "seed-2017-05-13.json", tmp_path)
    written = update(tmp_path)
    assert sorted(p.name for p in written) == [
        "sagemaker-runtime-2017-05-13.endpoint-rule-set-1.json",
        "sagemaker-runtime-2017-05-13.json",
    ]
    for name in ("sagemaker-runtime-2017-05-13.json", "seed-2017-05-13.json", "SOURCE.md"):
        assert (tmp_path / name).read_bytes() == (VENDORED / name).read_bytes(), name

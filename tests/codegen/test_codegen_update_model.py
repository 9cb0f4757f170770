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


HTTP2 = "sagemaker-runtime-http2-2025-10-01"


def test_update_refreshes_a_stale_model_and_keeps_the_seed(tmp_path: Path) -> None:
    (tmp_path / "sagemaker-runtime-2017-05-13.json").write_text("{}", encoding="utf-8")
    shutil.copy(VENDORED / "seed-2017-05-13.json", tmp_path)
    shutil.copy(VENDORED / "SOURCE.md", tmp_path)
    for path in VENDORED.glob(f"{HTTP2}*.json"):
        shutil.copy(path, tmp_path)
    written = update(tmp_path)
    assert sorted(p.name for p in written) == [
        "sagemaker-runtime-2017-05-13.endpoint-rule-set-1.json",
        "sagemaker-runtime-2017-05-13.json",
    ]
    for name in ("sagemaker-runtime-2017-05-13.json", "seed-2017-05-13.json", "SOURCE.md"):
        assert (tmp_path / name).read_bytes() == (VENDORED / name).read_bytes(), name


def test_a_model_botocore_does_not_ship_is_kept_with_its_origin(tmp_path: Path) -> None:
    for path in VENDORED.glob(f"{HTTP2}*.json"):
        shutil.copy(path, tmp_path)
    shutil.copy(VENDORED / "SOURCE.md", tmp_path)
    assert update(tmp_path) == []  # nothing of botocore's to refresh
    text = (tmp_path / "SOURCE.md").read_text(encoding="utf-8")
    for path in VENDORED.glob(f"{HTTP2}*.json"):
        assert (tmp_path / path.name).read_bytes() == path.read_bytes()
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        row = next(line for line in text.splitlines() if f"`{path.name}`" in line)
        assert digest in row
        assert "shared/models/" in row  # the origin written when it was vendored


def test_vendored_http2_model_is_the_shared_one() -> None:
    shared = ROOT.parent / "shared" / "models"
    assert shared.is_dir()  # beside the project root, as on every machine and in CI
    for path in shared.glob(f"{HTTP2}*.json"):
        assert (VENDORED / path.name).read_bytes() == path.read_bytes(), path.name

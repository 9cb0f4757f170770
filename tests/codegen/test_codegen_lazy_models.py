"""The generated ``models`` module creates per-operation classes on first use.

For the widgets fixture, generated and imported: importing the package and its client
(and creating a client) loads no ``models_<operation>`` module; asking ``models`` for one
class (or a shape spec for its class) loads that operation's module only, and keeps the
class in ``models``' globals. Star imports, ``dir()`` and unknown names behave as for a
plain module; shared classes live in ``models.py`` itself; recursive classes validate.
The ``sys.modules`` checks run in a fresh interpreter: other tests load modules too.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from codegen_support import GOLDEN, WIDGETS_MODEL

from aiosagemaker_runtime import ParamValidationError
from codegen import naming

_PROBE = """
import json, sys
def loaded():
    return sorted(m for m in sys.modules if m.startswith("widgets.models_"))
steps = {}
import widgets
steps["package"] = loaded()
import widgets.client, widgets.operations
steps["client module"] = loaded()
client = widgets.WidgetStoreClient(
    region_name="us-east-1", aws_access_key_id="a", aws_secret_access_key="b"
)
steps["client"] = loaded()
models = widgets.models
lazy = set(models._MODULES)
in_globals = sorted(lazy & set(vars(models)))
dir_missing = sorted(lazy - set(dir(models)))
complete = [models.Person.__pydantic_complete__, models.AttributeValue.__pydantic_complete__]
cached_before = "PutWidgetRequest" in vars(models)
cls = models.PutWidgetRequest
steps["attribute"] = loaded()
cached_after = vars(models).get("PutWidgetRequest") is cls
again = models.PutWidgetRequest is cls
spec_cls = widgets.operations.SHAPES["ListWidgetsResponse"].cls
steps["shape spec"] = loaded()
print(json.dumps({
    "steps": steps,
    "in_globals": in_globals,
    "dir_missing": dir_missing,
    "complete": complete,
    "cached_before": cached_before,
    "cached_after": cached_after,
    "again": again,
    "spec_cls": spec_cls is models.ListWidgetsResponse,
}))
"""


def _probe(widgets: ModuleType) -> dict[str, Any]:
    path = str(Path(widgets.__file__).parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([path, os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run(
        [sys.executable, "-c", _PROBE],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


@pytest.fixture(scope="module")
def probe(widgets: ModuleType) -> dict[str, Any]:
    return _probe(widgets)


def test_importing_the_package_and_client_loads_no_operation_module(
    probe: dict[str, Any],
) -> None:
    steps = probe["steps"]
    assert steps["package"] == []
    assert steps["client module"] == []
    assert steps["client"] == []


def test_one_attribute_loads_its_operation_module_only_and_is_cached(
    probe: dict[str, Any],
) -> None:
    assert probe["steps"]["attribute"] == ["widgets.models_put_widget"]
    assert probe["cached_before"] is False
    assert probe["cached_after"] is True
    assert probe["again"] is True


def test_shape_spec_class_loads_its_operation_module_only(probe: dict[str, Any]) -> None:
    assert probe["spec_cls"] is True
    assert probe["steps"]["shape spec"] == [
        "widgets.models_list_widgets",
        "widgets.models_put_widget",
    ]


def test_star_import_gives_every_name_of_all(widgets: ModuleType) -> None:
    namespace: dict[str, Any] = {}
    exec(f"from {widgets.models.__name__} import *", namespace)
    names = set(widgets.models.__all__)
    assert set(widgets.models._MODULES) <= names
    assert names <= set(namespace)
    for name in names:
        assert namespace[name] is getattr(widgets.models, name), name


def test_dir_lists_the_lazy_names(widgets: ModuleType, probe: dict[str, Any]) -> None:
    assert probe["in_globals"] == []  # fresh: none of them created yet
    assert probe["dir_missing"] == []
    listed = dir(widgets.models)
    assert listed == sorted(listed)
    assert set(widgets.models._MODULES) <= set(listed)
    assert set(widgets.models.__all__) <= set(listed)


def test_unknown_attribute_raises_attribute_error_naming_it(widgets: ModuleType) -> None:
    with pytest.raises(AttributeError, match="'NoSuchShape'") as info:
        _ = widgets.models.NoSuchShape
    assert widgets.models.__name__ in str(info.value)
    assert not hasattr(widgets.models, "NoSuchShape")
    with pytest.raises(ImportError, match="NoSuchShape"):
        exec(f"from {widgets.models.__name__} import NoSuchShape", {})


def test_each_class_is_defined_in_its_module(widgets: ModuleType) -> None:
    models = widgets.models
    for shared in ("Widget", "Person", "Part", "AttributeValue", "WidgetUpdate"):
        assert shared not in models._MODULES
        assert getattr(models, shared).__module__ == models.__name__
    assert models.PutWidgetRequest.__module__ == "widgets.models_put_widget"
    for name, module in models._MODULES.items():
        assert getattr(models, name).__module__ == "widgets" + module, name


def test_operation_modules_are_named_after_operations(widgets: ModuleType) -> None:
    operations = json.loads(WIDGETS_MODEL.read_text(encoding="utf-8"), strict=False)["operations"]
    expected = {".models_" + naming.snake_case(name) for name in operations}
    modules = set(widgets.models._MODULES.values())
    assert modules == expected  # every fixture operation has a class of its own
    on_disk = {"." + p.stem for p in Path(widgets.__file__).parent.glob("models_*.py")}
    assert on_disk == modules
    golden = {"." + p.stem for p in (GOLDEN / "widgets").glob("models_*.py")}
    assert golden == modules


def test_recursive_classes_validate_nested_data(widgets: ModuleType, probe: dict[str, Any]) -> None:
    assert probe["complete"] == [True, True]  # rebuilt at import, before any validation
    models = widgets.models
    boss = models.Person.model_validate(
        {"Name": "a", "Manager": {"Name": "b"}, "Reports": [{"Name": "c", "Reports": []}]}
    )
    assert isinstance(boss.manager, models.Person)
    assert boss.reports is not None and boss.reports[0].name == "c"
    with pytest.raises(ParamValidationError) as info:
        models.Person.model_validate({"Name": "a", "Reports": [{"Name": "c", "Manager": {}}]})
    assert info.value.member == "Reports[0].Manager.Name"
    # Across modules: a per-operation class nesting the shared recursive one.
    listed = models.ListWidgetsResponse.model_validate(
        {"Widgets": [{"Id": "w", "Owner": {"Name": "o", "Reports": [{"Name": "r"}]}}]}
    )
    owner = listed.widgets[0].owner
    assert isinstance(owner.reports[0], models.Person)
    with pytest.raises(ParamValidationError) as info:
        models.ListWidgetsResponse.model_validate(
            {"Widgets": [{"Id": "w", "Owner": {"Name": "o", "Reports": [{}]}}]}
        )
    assert info.value.member == "Widgets[0].Owner.Reports[0].Name"

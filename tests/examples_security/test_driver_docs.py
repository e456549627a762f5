"""The generated driver reference (docs/drivers/reference/) never drifts from the code."""

from __future__ import annotations

import importlib.util
import inspect
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = ROOT / "docs" / "drivers" / "reference"


@pytest.fixture(scope="module")
def gen() -> ModuleType:
    name = "squall_gen_driver_docs"
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / "gen_driver_docs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def generated(gen: ModuleType) -> Iterator[Path]:
    out = Path(tempfile.mkdtemp(prefix="squall-driver-docs-"))
    try:
        gen.generate(out)
        yield out
    finally:
        shutil.rmtree(out, ignore_errors=True)


def test_committed_pages_are_what_the_generator_writes(generated: Path) -> None:
    fresh = {p.name: p.read_text() for p in generated.glob("*.md")}
    committed = {p.name: p.read_text() for p in COMMITTED.glob("*.md")}
    assert sorted(committed) == sorted(fresh), "run scripts/gen_driver_docs.py"
    for name, text in fresh.items():
        assert committed[name] == text, f"{name} is stale: run scripts/gen_driver_docs.py"


def test_every_public_function_of_every_driver_module_is_documented(gen: ModuleType) -> None:
    modules = gen.driver_modules()
    names = {m.__name__ for m in modules}
    assert {"squall.drivers.security.tls", "squall.drivers.network.actions"} <= names
    for module in modules:
        page = (COMMITTED / gen.page_name(module)).read_text()
        assert (inspect.getdoc(module) or "").splitlines()[0] in page
        for name in module.__all__:
            obj = getattr(module, name)
            assert f"## `{name}`" in page, f"{module.__name__}.{name} is not documented"
            doc = inspect.getdoc(obj)
            assert doc, f"{module.__name__}.{name} has no docstring"
            if inspect.isfunction(obj):
                for parameter in inspect.signature(obj).parameters:
                    assert parameter in page, f"{module.__name__}.{name}: {parameter} missing"


def test_the_reference_is_in_the_site_navigation(gen: ModuleType) -> None:
    nav = (ROOT / "mkdocs.yml").read_text()
    for page in COMMITTED.glob("*.md"):
        assert f"drivers/reference/{page.name}" in nav
    assert "security/index.md" in nav

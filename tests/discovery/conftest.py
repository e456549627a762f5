"""A small driver package written into a temporary directory for each test."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

FILES = {
    "fakedrv/__init__.py": '"""A fake driver."""\n',
    "fakedrv/probes.py": '''
        from __future__ import annotations

        from typing import Any, Optional

        __all__ = ["count_things", "everything", "Helper"]


        class Helper:
            """Not an activity: a class."""


        def count_things(path: str, limit: int = 10, ratio: float = 0.5, deep: bool = False,
                         names: list[str] | None = None, raw: bytes = b"",
                         configuration: dict[str, Any] | None = None,
                         secrets: dict[str, Any] | None = None) -> int:
            """Count things under path.

            More text.
            """
            return limit


        def everything(a, b: dict[str, int], c: tuple[int, ...] = (), d: set[str] = frozenset(),
                       e: Optional[int] = None, f: Any = None, *rest: int, g: int = 1,
                       **extra: Any) -> None:
            """Each portable type."""


        def not_listed() -> bool:
            return True
    ''',
    "fakedrv/actions_net.py": '''
        __all__ = ["cut_cable"]


        def cut_cable(port: int) -> dict:
            """Cut the cable."""
            return {"port": port}
    ''',
    "fakedrv/misc.py": '''
        __all__ = ["stop_service", "undo_it", "look_around"]


        def stop_service(name: str) -> bool:
            """Stop a service."""
            return True


        def undo_it(name: str) -> bool:
            """Rollback of something."""
            return True


        def look_around() -> list:
            """Observe."""
            return []
    ''',
    "fakedrv/nothing.py": "def hidden():\n    pass\n",
    "fakedrv/_private.py": '__all__ = ["secret_probe"]\n\ndef secret_probe():\n    pass\n',
    "fakedrv/sub/__init__.py": "",
    "fakedrv/sub/probes.py": '__all__ = ["deep_probe"]\n\n\ndef deep_probe(x: str = "y"):\n    """Deep."""\n',
    "ctkdrv/__init__.py": """
        __all__ = ["discover"]


        def discover(discover_system: bool = True):
            return {
                "id": "fixed", "target": "ctk", "extension": {"name": "ctkdrv", "version": "9"},
                "activities": [{"type": "probe", "name": "p", "mod": "ctkdrv", "doc": "",
                                "arguments": []}],
                "system": {"asked": discover_system},
            }
    """,
    "raisingdrv/__init__.py": "raise RuntimeError('needs a license file')\n",
    "halfdrv/__init__.py": "",
    "halfdrv/probes.py": "raise ValueError('bad config')\n",
    "brokendrv/__init__.py": '"""Broken."""\n',
    "brokendrv/probes.py": "__all__ = []\nfrom no_such_dependency import thing  # noqa\n",
}


@pytest.fixture
def driver_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    root = tmp_path / "drivers"
    for name, text in FILES.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    monkeypatch.syspath_prepend(str(root))
    monkeypatch.chdir(tmp_path)
    yield root
    for name in list(sys.modules):
        if name.split(".")[0] in ("fakedrv", "ctkdrv", "brokendrv", "raisingdrv", "halfdrv"):
            del sys.modules[name]

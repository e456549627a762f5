"""A safeguard's probes are checked before the run, like the experiment's own probes.

Found: a safeguard probe naming a function its module does not have, an unknown provider
type or a module that does not import passed ``squall validate``; ``squall run`` then
stopped at once with exit 130 ("safeguard probe 'p' breached: function 'nope' not found
...") instead of refusing the document as bad input (exit 2, located).

Now a control module may list the probes it runs (``control_probes(declaration)``, as
``squall.controls.safeguards`` does), and ``validate``/``run`` check each of them (exit 2,
file:line:column and pointer under the control's arguments).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest


def experiment(tmp_path: Path, provider: dict[str, Any]) -> dict[str, Any]:
    probe = {"type": "probe", "name": "p", "tolerance": True, "provider": provider}
    return {
        "title": "guarded",
        "description": "a safeguard whose probe is wrong",
        "controls": [
            {
                "name": "guard",
                "provider": {
                    "type": "python",
                    "module": "squall.controls.safeguards",
                    "arguments": {"probes": [{**probe, "name": "fine", "provider": _ok()}, probe]},
                },
            }
        ],
        "method": [
            {
                "type": "action",
                "name": "touch",
                "provider": {
                    "type": "process",
                    "path": "touch",
                    "arguments": str(tmp_path / "ran"),
                },
            }
        ],
    }


def _ok() -> dict[str, Any]:
    return {"type": "python", "module": "os.path", "func": "isdir", "arguments": {"s": "/"}}


WRONG = [
    ({"type": "python", "module": "os.path", "func": "nope"}, "/provider/func"),
    ({"type": "nope"}, "/provider/type"),
    ({"type": "python", "module": "squall_no_such_module", "func": "f"}, "/provider/module"),
    ({"type": "python", "module": "os.path", "func": "isdir", "arguments": {"x": 1}},
     "/provider/arguments"),
]  # fmt: skip


@pytest.mark.parametrize(("provider", "suffix"), WRONG)
@pytest.mark.parametrize("command", ["validate", "run"])
def test_a_wrong_safeguard_probe_is_bad_input_with_its_place(
    command: str, provider: dict[str, Any], suffix: str, squall: Any, tmp_path: Path
) -> None:
    (tmp_path / "e.json").write_text(json.dumps(experiment(tmp_path, provider), indent=1))
    result = squall(command, "e.json")
    assert result.code == 2, (result.stdout, result.stderr)
    assert f"at /controls/0/provider/arguments/probes/1{suffix}" in result.stderr, result.stderr
    assert "e.json:" in result.stderr and "internal error" not in result.stderr
    assert not (tmp_path / "ran").exists()


def test_right_safeguard_probes_still_run(squall: Any, tmp_path: Path) -> None:
    (tmp_path / "e.json").write_text(json.dumps(experiment(tmp_path, _ok())))
    result = squall("run", "e.json")
    assert result.code == 0, result.stderr
    assert (tmp_path / "ran").exists()


@pytest.mark.parametrize("where", ["--control-file", "settings"])
def test_a_wrong_probe_of_a_safeguard_declared_outside_the_experiment_is_bad_input(
    where: str, squall: Any, tmp_path: Path
) -> None:
    """Declared in the settings or a control file, it stopped every run at once (130)."""
    wrong = experiment(tmp_path, {"type": "python", "module": "os.path", "func": "nope"})
    controls = {"guard": {k: v for k, v in wrong.pop("controls")[0].items() if k != "name"}}
    (tmp_path / "e.json").write_text(json.dumps(wrong))
    if where == "settings":
        text = json.dumps({"controls": controls})
        (tmp_path / "settings.yaml").write_text(text)
        result = squall("run", "e.json")
        place = "settings.yaml:1:{} at /controls/guard"  # its pointer in its own file
    else:
        text = json.dumps(controls)
        (tmp_path / "c.json").write_text(text)
        result = squall("run", "e.json", "--control-file", "c.json")
        place = "c.json:1:{} at /guard"
    place = place.format(text.index('"nope"') + 1)
    assert result.code == 2, (result.stdout, result.stderr)
    assert f"{place}/provider/arguments/probes/1/provider/func" in result.stderr, result.stderr
    assert "internal error" not in result.stderr
    assert not (tmp_path / "ran").exists()

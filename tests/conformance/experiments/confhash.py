"""A control importing the chaoslib names published controls use (a Loki/Grafana
control imports experiment_hash; others the extension helpers and substitute)."""

from __future__ import annotations

import os
from typing import Any

from chaoslib import Configuration, Secrets, experiment_hash, substitute
from chaoslib.extension import get_extension, merge_extension


def _log(line: str) -> None:
    path = os.path.join(os.environ.get("CONF_WORK", "."), "controls.log")
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(line + "\n")


def before_experiment_control(
    context: Any, configuration: Configuration = None, secrets: Secrets = None, **kwargs: Any
) -> None:
    merge_extension(context, {"name": "confhash", "seen": True})
    _log(f"hash {experiment_hash({'title': context['title']})}")
    _log(f"sha256 {experiment_hash({'a': [1, 2]}, 'sha256')}")
    _log(f"extension {get_extension(context, 'confhash')}")
    _log(f"substitute {substitute('${greeting} world', {'greeting': 'hello'}, {})}")

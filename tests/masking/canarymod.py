"""Activities and a control that use the canary secrets every way user code can (loaded
by the canary experiments through the python provider; tests/masking is put on
PYTHONPATH)."""

from __future__ import annotations

import logging
import os
import sys
from typing import Any


def echo(token: str, special: str) -> dict[str, Any]:
    """Return the secrets in the output (a dict, a nested list, bytes)."""
    return {"token": token, "nested": [special, token.encode()], "line": f"x{token}y"}


def refuse(token: str) -> None:
    raise RuntimeError(f"the service refused token {token}")


def dynamic(token: str) -> str:
    raise ValueError(f"dynamic configuration cannot use {token}")


def flip(path: str, token: str) -> str:
    """The token the first time (the hypothesis holds before), something else after."""
    if os.path.exists(path):
        return "changed"
    with open(path, "w") as handle:
        handle.write("seen")
    return token


def before_experiment_control(context: Any, secrets: Any = None, **kwargs: Any) -> None:
    print(f"control sees secrets {secrets}")
    sys.stderr.write(f"control on stderr: {secrets}\n")
    logging.getLogger("squall.canary").warning("control logs %s", secrets)


def after_activity_control(context: Any, state: Any = None, secrets: Any = None, **_: Any) -> None:
    if context.get("name") == "echo-secrets":
        raise RuntimeError(f"control failed holding {secrets}")

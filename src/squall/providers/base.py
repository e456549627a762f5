"""The provider interface: how an activity touches the world."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from squall.errors import Problem

__all__ = ["Call", "Provider", "ProviderRegistry"]


@dataclass(slots=True, kw_only=True)
class Call:
    """What a provider gets for one execution."""

    name: str
    variables: Mapping[str, Any]  # configuration, then secrets, for ${name} substitution
    configuration: Mapping[str, Any] = field(default_factory=dict)
    secrets: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    timeout: float | None = None  # activity-level timeout, enforced by every provider
    in_hypothesis: bool = False
    extra_arguments: Mapping[str, Any] = field(default_factory=dict)  # e.g. probe tolerance value
    warnings: list[str] = field(default_factory=list)


class Provider(Protocol):
    """A provider type: ``check`` before the run, ``run`` during it."""

    type: str

    def check(self, spec: Any, pointer: str) -> list[Problem]:
        """Problems that can be found before running (never raises)."""
        ...

    def run(self, spec: Any, call: Call) -> Any:
        """Execute and return the activity's output.

        Raises:
            ActivityFailed: the activity did not work (ActivityTimeout when it overran).
        """
        ...


class ProviderRegistry:
    """Provider types by name; owned by one engine (no global state)."""

    def __init__(self, providers: list[Provider] | None = None) -> None:
        self._providers: dict[str, Provider] = {}
        for provider in providers or []:
            self.add(provider)

    def add(self, provider: Provider) -> None:
        self._providers[provider.type] = provider

    def get(self, kind: str) -> Provider | None:
        return self._providers.get(kind)

    def types(self) -> list[str]:
        return sorted(self._providers)


def select_secrets(call: Call, scopes: tuple[str, ...]) -> dict[str, Any]:
    """The listed secret scopes merged into one flat mapping (the reference's rule)."""
    merged: dict[str, Any] = {}
    for scope in scopes:
        merged.update(call.secrets.get(scope, {}))
    return merged

"""HOW an activity touches the world: python, process and http providers (+ registry)."""

from squall.providers.base import Call, ProviderRegistry
from squall.providers.http import HttpProvider
from squall.providers.process import ProcessProvider
from squall.providers.python import PythonProvider

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost
if TYPE_CHECKING:
    from squall.providers.base import Provider

__all__ = [
    "Call",
    "HttpProvider",
    "ProcessProvider",
    "Provider",
    "ProviderRegistry",
    "PythonProvider",
    "default_registry",
]


def default_registry() -> ProviderRegistry:
    """A registry with the three built-in providers."""
    return ProviderRegistry([PythonProvider(), ProcessProvider(), HttpProvider()])

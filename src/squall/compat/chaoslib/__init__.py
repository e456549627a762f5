"""squall's stand-in for ``chaoslib`` (served only when chaostoolkit-lib is missing)."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

__all__ = ["PayloadEncoder", "__version__", "decode_bytes"]

#: the chaostoolkit-lib version whose behaviour squall follows, marked as a stand-in
__version__ = "1.45.1+squall-compat"


def decode_bytes(data: bytes, default_encoding: str = "utf-8") -> str:
    """Decode with ``default_encoding``, else Latin-1 (never fails)."""
    try:
        return data.decode(default_encoding)
    except UnicodeDecodeError:
        return data.decode("latin-1")


class PayloadEncoder(json.JSONEncoder):
    """JSON for journals and events: dates, UUIDs and decimals as strings."""

    def default(self, o: Any) -> Any:
        if isinstance(o, datetime | date):
            return o.isoformat()
        if isinstance(o, UUID | Decimal):
            return str(o)
        return super().default(o)

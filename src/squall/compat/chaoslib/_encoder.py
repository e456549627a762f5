"""``chaoslib.PayloadEncoder`` (served by the package's ``__getattr__``, when asked for)."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

__all__ = ["PayloadEncoder"]


class PayloadEncoder(json.JSONEncoder):
    """JSON for journals and events: dates, UUIDs and decimals as strings."""

    def default(self, o: Any) -> Any:
        if isinstance(o, datetime | date):
            return o.isoformat()
        if isinstance(o, UUID | Decimal):
            return str(o)
        return super().default(o)

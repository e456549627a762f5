"""Notifications: the Chaos Toolkit's ``notifications`` settings, sent at the points of the
command flows where the reference sends them.

Settings (the reference's format)::

    notifications:
      - type: http                 # POST the event as JSON (GET, no body, when
        url: https://hooks.example/chaos      # forward_event_payload is false)
        verify_tls: true
        headers: {Authorization: "Bearer ..."}
        forward_event_payload: true
        events: [run-failed, run-deviated]    # optional: only these events
      - type: plugin               # call module.func(channel, event)
        module: mypackage.notify
        func: notify               # default "notify"

The event is ``{"name", "payload", "phase", "ts", "error"?}``, masked (squall.masking):
an experiment's inline secrets are replaced by ``***`` and every known secret value in
the payload and the error too. A channel that fails is logged as a warning and never
changes the command's result.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping

from squall._log import get_logger

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost
if TYPE_CHECKING:
    from typing import Any

__all__ = ["EVENTS", "notify", "run_events"]

log = get_logger("squall.notifications")

#: Every event, by flow (the reference's names); the flow is the event's ``phase``.
EVENTS: dict[str, str] = {
    **{f"discovery-{s}": "discovery" for s in ("started", "failed", "completed")},
    **{f"init-{s}": "init" for s in ("started", "failed", "completed")},
    **{f"run-{s}": "run" for s in ("started", "failed", "completed", "deviated")},
    **{f"validate-{s}": "validate" for s in ("started", "failed", "completed")},
}


def run_events(journal: Mapping[str, Any]) -> list[str]:
    """The events that end a run, as the reference sends them: ``run-completed`` when
    the run completed, else ``run-failed``; ``run-deviated`` too when it deviated."""
    events = ["run-completed" if journal.get("status") == "completed" else "run-failed"]
    if journal.get("deviated"):
        events.append("run-deviated")
    return events


def notify(
    settings: Mapping[str, Any] | None, event: str, payload: Any = None, error: Any = None
) -> None:
    """Send ``event`` to every channel of the settings that wants it (never raises)."""
    channels = (settings or {}).get("notifications")
    if not channels:
        return
    if not isinstance(channels, list):
        log.warning('settings "notifications" must be a list of channels; none was sent')
        return
    from squall.masking import mask_document, mask_text

    message: dict[str, Any] = {
        "name": event,
        "payload": mask_document(payload),
        "phase": EVENTS.get(event, "unknown"),
        "ts": time.time(),
    }
    if error is not None:
        message["error"] = mask_text(str(error))
    from squall.settings import masked_settings

    masked_settings({"notifications": channels})  # their URLs and credentials are secrets
    for index, channel in enumerate(channels):
        if not isinstance(channel, Mapping):
            log.warning("notification channel %d is not a mapping; skipped", index)
            continue
        wanted = channel.get("events")
        if wanted and event not in wanted:
            continue
        kind = channel.get("type")
        try:
            if kind == "http":
                _http(channel, message)
            elif kind == "plugin":
                _plugin(channel, message)
            else:
                log.warning("notification channel %d has unknown type %r", index, kind)
        except BaseException as exc:  # SystemExit too: a channel must not end squall
            from squall.settings import url_origin

            url = channel.get("url")
            where = url_origin(str(url)) if url else channel.get("module") or f"channel {index}"
            log.warning(
                "notification %s to %s failed: %s: %s", event, where, type(exc).__name__, exc
            )


def _http(channel: Mapping[str, Any], message: Mapping[str, Any]) -> None:
    url = channel.get("url")
    if not url:
        raise ValueError('the http channel has no "url"')
    import httpx

    options: dict[str, Any] = {
        "headers": _with_netrc(str(url), dict(channel.get("headers") or {})),
        "timeout": httpx.Timeout(5.0, connect=2.0),
    }
    with httpx.Client(verify=bool(channel.get("verify_tls", True))) as client:
        if channel.get("forward_event_payload", True):
            body = json.dumps(message, default=str).encode("utf-8")
            options["headers"].setdefault("Content-Type", "application/json")
            response = client.post(str(url), content=body, **options)
        else:
            response = client.get(str(url), **options)
    response.raise_for_status()


def _with_netrc(url: str, headers: dict[str, Any]) -> dict[str, Any]:
    """The channel's headers, plus ``Authorization`` from ``.netrc`` for the URL's host
    when the channel gives no credentials of its own (a header, ``user:password@``), as
    the Chaos Toolkit's requests adds it; squall.netrc_auth's rules (a file others may
    read is not used; no redirect is followed, so they reach no other host)."""
    import urllib.parse

    parts = urllib.parse.urlsplit(url)
    if "@" in parts.netloc or any(str(k).lower() == "authorization" for k in headers):
        return headers
    from squall.netrc_auth import host_header

    auth = host_header(parts.hostname or "")
    return {**headers, "Authorization": auth} if auth else headers


def _plugin(channel: Mapping[str, Any], message: Mapping[str, Any]) -> None:
    from squall.compat import import_module

    module = import_module(str(channel.get("module")))
    func = getattr(module, str(channel.get("func", "notify")))
    func(dict(channel), dict(message))

"""Parallel groups (squall addition): activities of the method or the rollbacks that start
together; the run goes on when all have ended (``join: all``) or at the first failure
(``join: first-failure``, the others are cancelled).

In the model a group's activities are listed in ``method``/``rollbacks`` like any other
(so every check that walks activities sees them), with JSON pointers
``/method/<i>/activities/<j>``; ``Experiment.groups`` maps ``/method/<i>`` to the group.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from squall._record import Record
from squall.experiment._reader import Reader, pointer_join
from squall.show import kind_of, show_value

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost

if TYPE_CHECKING:  # the model imports this module
    from typing import Any

    from squall.experiment.model import Activity

__all__ = ["JOINS", "ParallelGroup", "blocks", "group_pointer", "is_group", "parse_group"]

JOINS = ("all", "first-failure")
_INNER = "/activities/"


class ParallelGroup(Record):
    """``{"type": "parallel", "name": ..., "activities": [...], "join": "all"}``."""

    __slots__ = ("join", "name", "pointer", "raw", "size")

    def __init__(
        self, *, name: str, join: str, pointer: str, size: int, raw: Mapping[str, Any]
    ) -> None:
        self.name = name
        self.join = join  # "all" or "first-failure"
        self.pointer = pointer  # e.g. "/method/2"
        self.size = size  # how many activities it declares
        self.raw = raw


def is_group(item: Any) -> bool:
    if type(item) is dict:  # no ABC check for the usual case
        return item.get("type") == "parallel"
    return isinstance(item, Mapping) and item.get("type") == "parallel"


def group_pointer(pointer: str) -> str | None:
    """The pointer of the group an activity at ``pointer`` belongs to, if any."""
    head, sep, _ = pointer.rpartition(_INNER)
    return head if sep and head.count("/") == 2 else None


def parse_group(
    r: Reader,
    d: Mapping[str, Any],
    pointer: str,
    parse_member: Callable[[Reader, Any, str], Activity | None],
) -> tuple[ParallelGroup | None, list[Activity]]:
    """Parse a group; its members are parsed by ``parse_member`` (problems go to ``r``)."""
    name = r.text(d, "name", pointer, required=True, what="a parallel group")
    join = d.get("join", "all")
    if join not in JOINS:
        r.add(pointer + "/join", f"unknown join {show_value(join)}", 'use "all" or "first-failure"')
    items = d.get("activities")
    where = pointer + "/activities"
    if not isinstance(items, list) or not items:
        found = "nothing" if items is None else kind_of(items)
        r.add(
            where if items is not None else pointer,
            f'a parallel group requires a non-empty "activities" list, found {found}',
            "list the probes and actions to start together",
        )
        items = []
    members = []
    for i, item in enumerate(items):
        at = pointer_join(where, i)
        if is_group(item):
            r.add(at, "parallel groups cannot be nested", "list the activities in one group")
            continue
        if isinstance(item, Mapping) and "background" in item:
            r.add(
                at + "/background",
                '"background" has no meaning inside a parallel group (all its activities '
                "run at once)",
                'remove "background"',
            )
        member = parse_member(r, item, at)
        if member is not None:
            members.append(member)
    if name is None or join not in JOINS:
        return None, members
    return ParallelGroup(name=name, join=join, pointer=pointer, size=len(items), raw=d), members


def blocks(
    activities: tuple[Activity, ...], groups: Mapping[str, ParallelGroup]
) -> list[Activity | tuple[ParallelGroup, tuple[Activity, ...]]]:
    """Activities in order, the members of each group gathered as ``(group, members)``."""
    out: list[Activity | tuple[ParallelGroup, tuple[Activity, ...]]] = []
    current: ParallelGroup | None = None
    members: list[Activity] = []
    for activity in activities:
        group = groups.get(group_pointer(activity.pointer) or "") if groups else None
        if group is not current and current is not None:
            out.append((current, tuple(members)))
            members = []
        current = group
        if group is None:
            out.append(activity)
        else:
            members.append(activity)
    if current is not None:
        out.append((current, tuple(members)))
    return out

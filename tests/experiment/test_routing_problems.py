"""The ``squall`` routing key's problems, on activities and parallel groups: only the
places that carry the key are looked at (a large experiment's other activities cost no
words), and a key set to null is no problem, as before."""

from __future__ import annotations

from typing import Any

from squall.experiment.parse import parse_experiment
from squall.experiment.routing import routing_problems


def _probe(name: str, **extra: Any) -> dict[str, Any]:
    provider = {"type": "python", "module": "os.path", "func": "exists"}
    return {"type": "probe", "name": name, "provider": provider, **extra}


def test_only_the_places_with_the_key_have_problems() -> None:
    group = {
        "type": "parallel",
        "name": "g",
        "squall": ["not", "a", "mapping"],
        "activities": [_probe("in-group", squall={"task_queue": " "})],
    }
    experiment = parse_experiment(
        {
            "title": "t",
            "description": "d",
            "method": [
                _probe("plain"),
                _probe("null", squall=None),
                _probe("good", squall={"task_queue": "q"}),
                _probe("text", squall="q"),
                group,
            ],
            "rollbacks": [_probe("undo", squall={"task_queue": ""})],
        }
    )
    found = [(p.pointer, p.message) for p in routing_problems(experiment)]
    assert found == [
        ("/method/3/squall", 'activity "text": "squall" must be a mapping like {task_queue: NAME}'),
        (
            "/method/4/activities/0/squall/task_queue",
            'activity "in-group": squall.task_queue must be a task queue\'s name',
        ),
        (
            "/rollbacks/0/squall/task_queue",
            'activity "undo": squall.task_queue must be a task queue\'s name',
        ),
        (
            "/method/4/squall",
            'parallel group "g": "squall" must be a mapping like {task_queue: NAME}',
        ),
    ]

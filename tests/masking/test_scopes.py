"""Secret scopes: a run's secrets are masked in that run (its background threads
included) and everywhere outside a scope, not in the next run of the same process
(a suite, the pytest plugin, a worker running many experiments)."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import uuid
from pathlib import Path
from typing import Any

import squall
from squall.masking import (
    MASK,
    current_scope,
    mask_text,
    mask_value,
    open_scope,
    register_secrets,
    secret_scope,
)


def _secret(name: str) -> str:
    return f"scoped-{name}-{uuid.uuid4().hex[:10]}"


def _in_thread(function: Any) -> Any:
    box: list[Any] = []
    thread = threading.Thread(target=lambda: box.append(function()))
    thread.start()
    thread.join()
    return box[0]


def test_a_scope_does_not_mask_the_secrets_of_the_scope_before_it() -> None:
    first, second = _secret("first"), _secret("second")
    with secret_scope():
        register_secrets({"s": {"k": first}})
        assert mask_text(f"x {first} y") == f"x {MASK} y"
    with secret_scope():
        register_secrets(second)
        assert mask_text(f"{first} {second}") == f"{first} {MASK}"
    # outside any scope, both stay masked (a later message about a run is still masked)
    assert mask_text(f"{first} {second}") == f"{MASK} {MASK}"
    assert mask_value({"a": [first]}) == {"a": [MASK]}


def test_a_suite_masks_its_ended_runs_but_a_run_not_its_siblings() -> None:
    suite_secret, a, b = _secret("suite"), _secret("a"), _secret("b")
    with secret_scope() as suite:
        register_secrets(suite_secret)
        run_a, run_b = open_scope(), open_scope()  # prepared first, run one after the other
        assert run_a.parent is suite
        with run_a.active():
            register_secrets(a)
            assert current_scope() is run_a
        with run_b.active():
            register_secrets(b)
        with run_a.active():
            assert mask_text(f"{suite_secret} {a} {b}") == f"{MASK} {MASK} {b}"
        run_a.close()
        with run_b.active():  # a ended: its secret is not b's
            assert mask_text(f"{suite_secret} {a} {b}") == f"{MASK} {a} {MASK}"
        run_b.close()
        # the suite's summary, after both runs: every secret of the suite
        assert mask_text(f"{suite_secret} {a} {b}") == f"{MASK} {MASK} {MASK}"
        with run_a.active():  # a context left in an ended run keeps its view
            assert mask_text(a) == MASK
    assert current_scope() is None


def test_a_thread_without_the_run_context_masks_everything() -> None:
    before, mine = _secret("before"), _secret("mine")
    with secret_scope():
        register_secrets(before)
    with secret_scope() as scope:
        register_secrets(mine)
        # a thread started without the context (a background activity of the run): the
        # run's secret is masked, and so is every other one (over-masking, never under)
        assert _in_thread(lambda: mask_text(f"{before} {mine}")) == f"{MASK} {MASK}"
        # with the scope bound: the run's view exactly
        bound = scope.bind(lambda: mask_text(f"{before} {mine}"))
        assert _in_thread(bound) == f"{before} {MASK}"
    # a thread that outlives the run, started without its context: still masked
    assert _in_thread(lambda: mask_text(mine)) == MASK


def test_what_the_process_registers_is_masked_in_every_scope() -> None:
    early, late = _secret("early"), _secret("late")
    register_secrets(early)
    with secret_scope() as outer:
        inner = open_scope()
        register_secrets(late)  # in the outer scope: its inner scopes mask it too
        with inner.active():
            assert mask_text(f"{early} {late}") == f"{MASK} {MASK}"
        inner.close()
        assert outer.masker.text(late) == MASK


def _experiment(tmp_path: Path, name: str, title: str, secret: str | None) -> Path:
    """An experiment whose title is shown in the journal; with a secret, a background
    Python activity returns it (from a thread of the run)."""
    document: dict[str, Any] = {"title": title, "description": "scopes", "method": []}
    if secret is not None:
        document["secrets"] = {"s": {"token": secret}}
        document["method"] = [
            {
                "type": "action",
                "name": "echo-token",
                "background": True,
                "provider": {
                    "type": "python",
                    "module": "os.path",
                    "func": "join",
                    "arguments": {"a": "${token}"},
                },
                "secrets": ["s"],
            }
        ]
    else:
        document["method"] = [
            {"type": "probe", "name": "nothing", "provider": {"type": "python",
             "module": "os.path", "func": "join", "arguments": {"a": "x"}}}
        ]  # fmt: skip
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def test_runs_of_one_process_do_not_mask_each_others_secrets(tmp_path: Path) -> None:
    secret = _secret("api")
    first = _experiment(tmp_path, "first", f"uses {secret}", secret)
    second = _experiment(tmp_path, "second", f"mentions {secret} in plain text", None)
    one = squall.run_experiment(
        first, run_options=squall.RunOptions(journal_path=tmp_path / "j1.json")
    )
    two = squall.run_experiment(
        second, run_options=squall.RunOptions(journal_path=tmp_path / "j2.json")
    )
    dumped = json.dumps(one.to_dict())
    assert secret not in dumped and f"uses {MASK}" in dumped
    assert one.to_dict()["run"][0]["output"] == MASK  # returned by the run's thread
    assert f"mentions {secret} in plain text" in json.dumps(two.to_dict())
    assert secret not in (tmp_path / "j1.json").read_text(encoding="utf-8")
    assert mask_text(secret) == MASK  # outside any scope: still masked


def test_a_suite_run_masks_each_experiment_in_its_own_run(tmp_path: Path) -> None:
    secret = _secret("suite")
    _experiment(tmp_path, "a", f"uses {secret}", secret)
    _experiment(tmp_path, "b", f"mentions {secret} in plain text", None)
    done = subprocess.run(
        [sys.executable, "-m", "squall", "run", "a.json", "b.json", "--no-history",
         "--journal-dir", "journals"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    console = done.stdout + done.stderr
    assert done.returncode == 0, console
    assert f'"uses {MASK}"' in console and f"uses {secret}" not in console
    assert f'"mentions {secret} in plain text"' in console
    journals = {p.name: p.read_text(encoding="utf-8") for p in (tmp_path / "journals").iterdir()}
    assert len(journals) == 2, journals
    (a_journal,) = [text for name, text in journals.items() if name.startswith("a")]
    (b_journal,) = [text for name, text in journals.items() if name.startswith("b")]
    assert secret not in a_journal
    assert f"mentions {secret} in plain text" in b_journal


def test_the_engines_threads_mask_their_own_runs_secrets_only(tmp_path: Path) -> None:
    """Background activities, parallel groups: their threads run in the run's scope
    (they would otherwise mask every secret the process saw, other runs' too)."""
    secret = _secret("threads")
    first = _experiment(tmp_path, "first", "first", secret)
    squall.run_experiment(first, run_options=squall.RunOptions(journal_path=tmp_path / "1.json"))

    def echo(name: str, **extra: Any) -> dict[str, Any]:
        provider = {"type": "python", "module": "os.path", "func": "join"}
        return {
            "type": "action",
            "name": name,
            "provider": {**provider, "arguments": {"a": f"mentions {secret}"}},
            **extra,
        }

    second = tmp_path / "second.json"
    second.write_text(
        json.dumps(
            {
                "title": "second",
                "description": "its threads see text that was a secret of the first run",
                "method": [
                    echo("in-background", background=True),
                    {"type": "parallel", "name": "both", "activities": [echo("p1"), echo("p2")]},
                ],
            }
        ),
        encoding="utf-8",
    )
    two = squall.run_experiment(
        second, run_options=squall.RunOptions(journal_path=tmp_path / "2.json")
    )
    outputs = {entry["activity"]["name"]: entry.get("output") for entry in two.to_dict()["run"]}
    assert outputs == dict.fromkeys(("in-background", "p1", "p2"), f"mentions {secret}")

"""Bounded fuzzing of squall's input handling: ``squall validate`` and a dry run.

Inputs come from two places: mutations of the bundled examples (``mutate``: text-level and
tree-level, JSON and YAML, alias bombs and cycles included) and hypothesis strategies
(tests/fuzz/test_fuzz_input.py). Each input is checked by a long-lived worker subprocess
(``Worker``) that calls ``squall.cli.main`` in-process under an address-space limit
(RLIMIT_AS); the parent gives each input a time limit and restarts a worker that hangs or
dies. ``verdict`` says what is wrong with an outcome, if anything:

- ``validate`` exits 0 or 2, ``run --dry activities`` exits like a run (0 1 2 3 4 130);
- exit 2 from ``validate`` comes with problems that all have file:line:column and a JSON
  pointer, and ``run`` then refuses the document too (exit 2);
- never "internal error", a traceback, a run aborted by an exception, a hang or a death.

A larger campaign: ``.venv/bin/python tests/support/sqfuzz.py --inputs 5000 --seed 1``
(prints the figures: inputs, distinct outcomes, findings, time).
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import random
import re
import select
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

SUPPORT = Path(__file__).resolve().parent
ROOT = SUPPORT.parent.parent
SOURCES = [ROOT / "tests" / "examples", ROOT / "examples"]
SUFFIXES = (".json", ".yaml", ".yml")
MEMORY_LIMIT = 1536 * 1024 * 1024  # bytes of address space for the worker
RUN_CODES = {0, 1, 2, 3, 4, 130}
LOCATED = re.compile(r"^\s+(?:- )?\S.*:\d+:\d+ at /")
PROBLEM = re.compile(r"^\s+(?:- )?\S.* at /")
CRASH = re.compile(r"Traceback \(most recent call last\)|internal error|MemoryError")
ABORTED_BY_EXCEPTION = re.compile(r"^[A-Z]\w*(Error|Exception|Exit|Interrupt)\b")


def example_files() -> list[Path]:
    found = []
    for folder in SOURCES:
        found += [p for p in sorted(folder.rglob("*")) if p.suffix in SUFFIXES and p.is_file()]
    return found


# --- inputs ---------------------------------------------------------------------------

ODD_NUMBERS = [
    "NaN", "Infinity", "-Infinity", "1e999", "-1", "9" * 5000, "1e308", "18446744073709551616",
    "0", "-0.0", "3.5e-324", "1" + "0" * 400,
]  # fmt: skip
ODD_TEXT = [
    "\\ud800", "\\udfff x", "${undefined}", "${outputs.x.y}", "${", "", " ", "a" * 5000,
    "\\u0000", "../../../etc/passwd", "${a}${b}", "$${x}", "\\n\\t", "é\\u2028",
]  # fmt: skip
ODD_YAML = [
    "&a [*a]", "!!python/object:os.system {}", "!!binary aGVsbG8=", "!!set {a, b}",
    "2024-01-02", ".nan", ".inf", "-.inf", "{1: x}", "{on: yes}", "{null: 1}", "*undefined",
    "[" * 300 + "]" * 300, "{? [a]: 1}", "0o777", "0x1F", "1:30:00", "~", "'\\ud800'",
]  # fmt: skip


def odd_values(rng: random.Random) -> Any:
    """An adversarial value for a tree mutation."""
    bomb: list[Any] = ["lol"] * 9
    for _ in range(rng.randint(2, 9)):
        bomb = [bomb] * 9  # shared: YAML writes aliases, JSON expands (kept small there)
    cycle: list[Any] = []
    cycle.append(cycle)
    deep: Any = 1
    for _ in range(rng.choice([50, 120, 600, 3000])):
        deep = [deep]
    choices = [
        float("nan"), float("inf"), -float("inf"), 10**5000 if rng.random() < 0.2 else 10**400,
        -1, 0, 1e308, True, None, "", "\ud800", "x\udc00y", "${undefined}", "${outputs.a.b}",
        [], {}, {"type": "nope"}, {"1": 2}, "a" * 100_000, bomb, cycle, deep,
        {"type": "probe", "name": "p", "provider": {"type": "python", "module": "os",
                                                   "func": "getpid"}},
    ]  # fmt: skip
    return rng.choice(choices)


def _paths(node: Any) -> list[tuple[Any, ...]]:
    """Paths to the values of a document, each container visited once (not into the odd
    values a mutation put there: shared, cyclic or deep ones)."""
    found: list[tuple[Any, ...]] = []
    seen: set[int] = set()
    stack: list[tuple[Any, tuple[Any, ...]]] = [(node, ())]
    while stack and len(found) < 5000:
        value, path = stack.pop()
        found.append(path)
        if not isinstance(value, dict | list) or id(value) in seen or len(path) > 12:
            continue
        seen.add(id(value))
        items = value.items() if isinstance(value, dict) else enumerate(value)
        stack += [(child, (*path, key)) for key, child in items]
    return found


def _tree_mutation(data: Any, rng: random.Random) -> Any:
    data = copy.deepcopy(data)
    paths = _paths(data)[1:]
    if not paths:
        return odd_values(rng)
    for _ in range(rng.randint(1, 3)):
        path = rng.choice(paths)
        if not path:
            continue
        parent = data
        for part in path[:-1]:
            parent = parent[part]
        last = path[-1]
        action = rng.random()
        try:
            if action < 0.55:
                parent[last] = odd_values(rng)
            elif action < 0.7:
                del parent[last]
            elif action < 0.8 and isinstance(parent, dict):
                parent[rng.choice([1, True, None, 2.5, "x\ud800"])] = parent.pop(last)
            elif action < 0.9:
                parent[last] = [parent[last]] if rng.random() < 0.5 else {"v": parent[last]}
            else:
                value = parent[last]
                if isinstance(value, dict | list):  # a container becomes text (not its
                    parent[last] = "[...]"  # repr: an alias bomb's has 10^9 items)
                else:
                    parent[last] = str(value) if not isinstance(value, str) else [value]
        except (KeyError, IndexError, TypeError, ValueError):
            continue
        paths = _paths(data)[1:] or [()]
    return data


def expanded_size(node: Any, limit: int = 200_000) -> int:
    """How many values ``node`` has once shared parts are repeated (``limit + 1`` when
    more, or when it contains itself): whether JSON can write it out."""
    sizes: dict[int, int] = {}
    visiting: set[int] = set()

    def size(value: Any) -> int:
        if not isinstance(value, dict | list):
            return 1
        key = id(value)
        if key in sizes:
            return sizes[key]
        if key in visiting or len(visiting) > 800:
            return limit + 1
        visiting.add(key)
        children = value.values() if isinstance(value, dict) else value
        total = 1 + sum(size(child) for child in children)
        visiting.discard(key)
        sizes[key] = min(total, limit + 1)
        return sizes[key]

    return size(node)


def _text_mutation(text: str, rng: random.Random, fmt: str) -> str:
    for _ in range(rng.randint(1, 4)):
        if not text:
            return rng.choice(ODD_YAML)
        action = rng.random()
        if action < 0.25:  # a number becomes an odd one
            spots = [m.span() for m in re.finditer(r"-?\d+(\.\d+)?([eE][-+]?\d+)?", text)]
            if spots:
                start, end = rng.choice(spots)
                text = text[:start] + rng.choice(ODD_NUMBERS) + text[end:]
        elif action < 0.45:  # a string's content becomes odd
            spots = [m.span(1) for m in re.finditer(r'"([^"\\\n]*)"', text)]
            if spots:
                start, end = rng.choice(spots)
                text = text[:start] + rng.choice(ODD_TEXT) + text[end:]
        elif action < 0.6 and fmt == "yaml":  # a YAML value becomes odd
            spots = [m.end() for m in re.finditer(r": ", text)]
            if spots:
                at = rng.choice(spots)
                end = text.find("\n", at)
                text = text[:at] + rng.choice(ODD_YAML) + (text[end:] if end >= 0 else "")
        elif action < 0.75:  # delete or duplicate a span
            start = rng.randrange(len(text))
            end = min(len(text), start + rng.randint(1, 200))
            piece = text[start:end]
            text = text[:start] + (piece * 2 if rng.random() < 0.5 else "") + text[end:]
        elif action < 0.85:  # deep nesting at a random place
            at = rng.randrange(len(text))
            depth = rng.choice([101, 300, 990, 5000])
            text = text[:at] + "[" * depth + "]" * depth + text[at:]
        else:  # odd characters
            at = rng.randrange(len(text))
            text = (
                text[:at]
                + rng.choice(["\x00", "\ufeff", "\t", "\udcff", "\\", "'", '"'])
                + text[at:]
            )
    return text


def mutate(source: Path, rng: random.Random) -> tuple[str, str]:
    """(text, format) of one mutation of an example file."""
    text = source.read_text(encoding="utf-8")
    fmt = "json" if source.suffix == ".json" else "yaml"
    if rng.random() < 0.5:
        return _text_mutation(text, rng, fmt), fmt
    import yaml

    try:
        data = json.loads(text) if fmt == "json" else yaml.safe_load(text)
    except ValueError:
        return _text_mutation(text, rng, fmt), fmt
    mutated = _tree_mutation(data, rng)
    try:
        if rng.random() < 0.5 and expanded_size(mutated) <= 200_000:  # else YAML's aliases
            return json.dumps(mutated, indent=1), "json"
        return str(yaml.dump(mutated, allow_unicode=False, sort_keys=False, width=120)), "yaml"
    except (RecursionError, ValueError, TypeError):  # a 5000-digit integer, too deep...
        return _text_mutation(text, rng, fmt), fmt


# --- the worker -----------------------------------------------------------------------


def _worker() -> None:  # pragma: no cover - runs in the subprocess
    import resource

    results = os.fdopen(int(sys.argv[1]), "w", buffering=1)
    limit = int(sys.argv[2])
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    from squall.cli import main

    workdir = Path(sys.argv[3])  # the parent's; it removes it
    os.chdir(workdir)
    settings = str(workdir / "settings.yaml")
    for line in sys.stdin:
        path = json.loads(line)["path"]
        journal = workdir / "journal.json"
        with contextlib.suppress(FileNotFoundError):
            journal.unlink()
        outcome: dict[str, Any] = {}
        for command, argv in (
            ("validate", ["--settings", settings, "validate", path]),
            ("run", ["--settings", settings, "run", "--dry", "activities", "--no-history",
                     "--journal-path", str(journal), path]),
        ):  # fmt: skip
            code, text = _captured(main, argv)
            outcome[command] = {"code": code, "err": text}
        if journal.exists():
            with contextlib.suppress(ValueError, OSError):
                data = json.loads(journal.read_text())
                outcome["status"] = data.get("status")
                outcome["aborted"] = (data.get("squall") or {}).get("aborted_reason") or ""
        results.write(json.dumps(outcome) + "\n")


def _captured(main: Any, argv: list[str]) -> tuple[int, str]:  # pragma: no cover
    """Run ``main(argv)`` with fds 1 and 2 sent to a file; (exit code, what it wrote)."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with tempfile.TemporaryFile() as capture:
        os.dup2(capture.fileno(), 1)
        os.dup2(capture.fileno(), 2)
        try:
            code = main(argv)
        except BaseException as exc:  # what main let through: a finding
            code = -1
            sys.stderr.write(f"Traceback (most recent call last): escaped main: {exc!r}\n")
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])
        capture.seek(0)
        return code, capture.read(200_000).decode("utf-8", "replace")


class Worker:
    """A worker subprocess; ``check`` gives each input ``timeout`` seconds."""

    def __init__(self, timeout: float = 20.0, memory: int = MEMORY_LIMIT) -> None:
        self.timeout = timeout
        self.memory = memory
        self.process: subprocess.Popen[str] | None = None
        self.restarts = 0

    def _start(self) -> None:
        read, write = os.pipe()
        self.folder = tempfile.mkdtemp(prefix="sqfuzz-")
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join([str(SUPPORT), env.get("PYTHONPATH", "")])
        env.pop("SQUALL_RUN_ID", None)
        # what a killed run leaves (its event stream, a driver's state) stays in the folder
        env["SQUALL_RECOVERY_DIR"] = os.path.join(self.folder, "runs")
        env["SQUALL_STATE_DIR"] = os.path.join(self.folder, "state")
        code = "import sqfuzz; sqfuzz._worker()"
        self.process = subprocess.Popen(
            [sys.executable, "-c", code, str(write), str(self.memory), self.folder],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            pass_fds=(write,),
            text=True,
            env=env,
        )
        os.close(write)
        self.results = os.fdopen(read, "r")

    def check(self, path: Path) -> dict[str, Any]:
        if self.process is None or self.process.poll() is not None:
            self._start()
        assert self.process is not None and self.process.stdin is not None
        started = time.perf_counter()
        try:
            self.process.stdin.write(json.dumps({"path": str(path)}) + "\n")
            self.process.stdin.flush()
        except BrokenPipeError:
            return self._lost("died", started)
        ready, _, _ = select.select([self.results], [], [], self.timeout)
        line = self.results.readline() if ready else ""
        if not line:
            return self._lost("hang" if not ready else "died", started)
        outcome: dict[str, Any] = json.loads(line)
        outcome["seconds"] = time.perf_counter() - started
        return outcome

    def _lost(self, what: str, started: float) -> dict[str, Any]:
        self.close()
        self.restarts += 1
        return {"lost": what, "seconds": time.perf_counter() - started}

    def close(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.results.close()
            self.process = None
            shutil.rmtree(self.folder, ignore_errors=True)


def verdict(outcome: dict[str, Any]) -> str | None:
    """What is wrong with an outcome (None: nothing)."""
    if "lost" in outcome:
        return f"the worker {outcome['lost']} (time or memory limit)"
    validate, run = outcome["validate"], outcome["run"]
    for command, result in (("validate", validate), ("run", run)):
        if CRASH.search(result["err"]):
            return f"{command} crashed: {result['err'][-600:]}"
    if validate["code"] not in (0, 2):
        return f"validate exited {validate['code']}"
    if run["code"] not in RUN_CODES:
        return f"run exited {run['code']}"
    if validate["code"] == 2:
        problems = [line for line in validate["err"].splitlines() if PROBLEM.match(line)]
        if not problems or not all(LOCATED.match(line) for line in problems):
            return f"a problem without file:line:column and pointer: {validate['err'][:600]}"
        if run["code"] != 2:
            return f"validate refused the document but run exited {run['code']}"
    if ABORTED_BY_EXCEPTION.match(outcome.get("aborted", "")):
        return f"the run aborted on an exception: {outcome['aborted']}"
    return None


def signature(outcome: dict[str, Any]) -> str:
    """A short name for the kind of outcome (to count distinct ones)."""
    if "lost" in outcome:
        return f"lost:{outcome['lost']}"
    first = next(
        (line for line in outcome["validate"]["err"].splitlines() if PROBLEM.match(line)), ""
    )
    message = re.sub(r"\d+|'[^']*'|\"[^\"]*\"", "#", first.partition(": ")[2])[:80]
    return f"v{outcome['validate']['code']} r{outcome['run']['code']} {message}"


# --- the campaign -----------------------------------------------------------------------


def campaign(
    inputs: int, seed: int, keep: Path | None = None, verbose: bool = False
) -> dict[str, Any]:
    rng = random.Random(seed)
    sources = example_files()
    worker = Worker()
    findings: list[tuple[str, str]] = []
    kinds: dict[str, int] = {}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="sqfuzz-in-") as folder:
        for index in range(inputs):
            source = rng.choice(sources)
            text, fmt = mutate(source, rng)
            path = Path(folder) / f"input-{index}.{fmt}"
            path.write_text(text, encoding="utf-8", errors="surrogatepass")
            outcome = worker.check(path)
            kinds[signature(outcome)] = kinds.get(signature(outcome), 0) + 1
            problem = verdict(outcome)
            if verbose:
                print(f"{index} {source.name} {outcome['seconds']:.2f}s {signature(outcome)}")
                print(f"  FINDING {problem[:300]}" if problem else "", end="", flush=True)
            if problem:
                findings.append((f"{source.name} #{index}", problem))
                if keep:
                    keep.mkdir(parents=True, exist_ok=True)
                    (keep / path.name).write_bytes(path.read_bytes())
    worker.close()
    return {
        "inputs": inputs,
        "seconds": round(time.perf_counter() - started, 1),
        "distinct_outcomes": len(kinds),
        "findings": findings,
        "restarts": worker.restarts,
        "outcomes": dict(sorted(kinds.items(), key=lambda kv: -kv[1])),
    }


if __name__ == "__main__":  # pragma: no cover
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", type=Path, help="copy each input with a finding here")
    parser.add_argument("--verbose", action="store_true", help="one line per input")
    args = parser.parse_args()
    figures = campaign(args.inputs, args.seed, args.keep, args.verbose)
    outcomes = figures.pop("outcomes")
    print(json.dumps(figures, indent=2))
    print("most frequent outcomes:")
    for kind, count in list(outcomes.items())[:25]:
        print(f"  {count:6d}  {kind}")

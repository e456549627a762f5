#!/usr/bin/env python3
"""Where squall spends its time: start-up imports and the per-activity cost.

    python bench/profile_squall.py [--work /tmp/squall-bench] [--repeat 7] [--top 15]

Uses only the ``squall`` CLI (``python -m squall`` and ``squall.cli.main``), on the same
experiments as bench/run.py (written into WORK/experiments), with bytecode cached under
WORK/pycache as in bench/run.py.  Prints markdown:

0. a start-up ladder: the wall of ``python -c pass``, ``squall --version``, a few
   imports and a trivial run, interleaved (the honest decomposition of start-up);
1. ``-X importtime`` of ``squall --version`` and of a trivial run: the modules with the
   largest self time (median over --repeat runs) and the totals per top-level package.
   importtime inflates absolute figures; read them as shares.
2. In-process slopes without a profiler (imports already done, so no start-up): wall of
   ``validate`` (load + parse + validate), ``run --plan`` (+ plan) and ``run`` (+ execute,
   journal, event stream, console) on python-1000 minus python-0, divided by 1000.
3. cProfile of the in-process ``run`` of python-1000 minus that of python-0, per function:
   what each activity costs, by function (profiled µs, inflated by the profiler; shares
   are what matters).

Stdlib only; --json FILE also writes the figures.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def _bench_run_module() -> Any:
    spec = importlib.util.spec_from_file_location("squall_bench_run", HERE / "run.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def child_env(work: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
    return env


# ------------------------------------------------------------------ importtime
def parse_importtime(text: str) -> dict[str, tuple[int, int]]:
    """name -> (self us, cumulative us).  A module can be listed twice (importing
    ``a.b.c`` first runs ``a.b``, which may import ``a.b.c`` itself): self times add up."""
    out: dict[str, tuple[int, int]] = {}
    for line in text.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, cum_us, name = line.split(":", 1)[1].split("|")
        prev_self, prev_cum = out.get(name.strip(), (0, 0))
        out[name.strip()] = (prev_self + int(self_us), max(prev_cum, int(cum_us)))
    return out


def importtime(cmd: list[str], env: dict[str, str], cwd: Path, repeat: int) -> dict[str, Any]:
    runs = []
    for _ in range(repeat + 1):  # the first one warms the bytecode cache
        res = subprocess.run(
            [sys.executable, "-X", "importtime", *cmd],
            capture_output=True,
            text=True,
            env=env,
            cwd=cwd,
            check=False,
        )
        if res.returncode != 0:
            raise SystemExit(f"{cmd}: exit {res.returncode}\n{res.stderr[-2000:]}")
        runs.append(parse_importtime(res.stderr))
    runs = runs[1:]
    names = set.intersection(*(set(r) for r in runs))
    self_us = {n: statistics.median(r[n][0] for r in runs) for n in names}
    cum_us = {n: statistics.median(r[n][1] for r in runs) for n in names}
    by_pkg: dict[str, float] = defaultdict(float)
    for n, v in self_us.items():
        by_pkg[n.split(".")[0]] += v
    return {
        "modules": len(names),
        "total_self_ms": sum(self_us.values()) / 1e3,
        "self_us": self_us,
        "cum_us": cum_us,
        "by_package_ms": {k: v / 1e3 for k, v in sorted(by_pkg.items(), key=lambda kv: -kv[1])},
    }


# ------------------------------------------------------------------ start-up ladder
LADDER = [
    ("python -c pass", ["-c", "pass"]),
    ("squall --version", ["-m", "squall", "--version"]),
    ("python -c 'import dataclasses'", ["-c", "import dataclasses"]),
    ("python -c 'import click'", ["-c", "import click"]),
    ("python -c 'import importlib.metadata'", ["-c", "import importlib.metadata"]),
    ("python -c 'import squall.experiment.model'", ["-c", "import squall.experiment.model"]),
    ("python -c 'import squall.engine'", ["-c", "import squall.engine"]),
    ("python -c 'import squall.cli.app'", ["-c", "import squall.cli.app"]),
    ("squall --help", ["-m", "squall", "--help"]),
    ("squall run trivial.json", ["-m", "squall", "run", "--journal-path", "{J}", "{E}"]),
]


def ladder(work: Path, env: dict[str, str], repeat: int) -> dict[str, float]:
    """Median wall (ms) of each rung, interleaved, after one warm-up round."""
    subs = {
        "{J}": str(work / "journals" / "ladder.json"),
        "{E}": str(work / "experiments" / "trivial.json"),
    }
    cmds = {name: [sys.executable, *(subs.get(a, a) for a in args)] for name, args in LADDER}
    walls: dict[str, list[float]] = {name: [] for name in cmds}
    for rnd in range(repeat + 1):
        for name, cmd in cmds.items():
            t0 = time.perf_counter()
            res = subprocess.run(cmd, capture_output=True, env=env, cwd=work, check=False)
            wall = time.perf_counter() - t0
            if res.returncode != 0:
                raise SystemExit(f"{name}: exit {res.returncode}\n{res.stderr[-2000:]!r}")
            if rnd:
                walls[name].append(wall)
    return {name: statistics.median(w) * 1e3 for name, w in walls.items()}


# ------------------------------------------------------------------ in-process
CHILD = r"""
import cProfile, io, json, os, pstats, statistics, sys, time
from squall.cli import main

exp, jdir, repeat = sys.argv[1], sys.argv[2], int(sys.argv[3])
variants = {
    "validate": lambda f: ["validate", f],
    "run --plan": lambda f: ["run", "--plan", "--journal-path", jdir + "/p.json", f],
    "run": lambda f: ["run", "--journal-path", jdir + "/r.json", f],
}
real_out, real_err = sys.stdout, sys.stderr
devnull = open(os.devnull, "w")

def call(args):
    sys.stdout = sys.stderr = devnull
    try:
        t0 = time.perf_counter()
        rc = main(args)
        return time.perf_counter() - t0, rc
    finally:
        sys.stdout, sys.stderr = real_out, real_err

files = {n: f"{exp}/python-{n}.json" for n in (0, 1000)}
for v in variants.values():  # warm-up: imports, caches
    for f in files.values():
        assert call(v(f))[1] == 0, v(f)
walls = {name: {n: [] for n in files} for name in variants}
for _ in range(repeat):
    for name, v in variants.items():
        for n, f in files.items():
            wall, rc = call(v(f))
            assert rc == 0, (name, n, rc)
            walls[name][n].append(wall)
slopes = {
    name: {
        "n0_ms": statistics.median(w[0]) * 1e3,
        "n1000_ms": statistics.median(w[1000]) * 1e3,
        "us_per_activity": (statistics.median(w[1000]) - statistics.median(w[0])) * 1e3,
    }
    for name, w in walls.items()
}

def profile(args):
    pr = cProfile.Profile()
    sys.stdout = sys.stderr = devnull
    try:
        pr.enable(); rc = main(args); pr.disable()
    finally:
        sys.stdout, sys.stderr = real_out, real_err
    assert rc == 0
    st = pstats.Stats(pr, stream=io.StringIO())
    return {f"{k[0]}:{k[1]}({k[2]})": [v[0], v[2], v[3]] for k, v in st.stats.items()}, st.total_tt

prof = {}
for n, f in files.items():
    prof[n] = profile(variants["run"](f))
json.dump({"slopes": slopes, "profiles": {n: {"funcs": p[0], "total": p[1]}
           for n, p in prof.items()}}, real_out)
"""


def inprocess(work: Path, env: dict[str, str], repeat: int) -> dict[str, Any]:
    jdir = work / "journals"
    jdir.mkdir(parents=True, exist_ok=True)
    res = subprocess.run(
        [sys.executable, "-c", CHILD, str(work / "experiments"), str(jdir), str(repeat)],
        capture_output=True,
        text=True,
        env=env,
        cwd=work,
        check=False,
    )
    if res.returncode != 0:
        raise SystemExit(f"in-process profiling failed:\n{res.stderr[-3000:]}")
    return json.loads(res.stdout)


def short(key: str) -> str:
    path, _, rest = key.partition(":")
    for marker in ("/src/", "/site-packages/", "/lib/python"):
        if marker in path:
            path = path.split(marker, 1)[1]
            if marker == "/lib/python":
                path = "stdlib/" + path.split("/", 1)[1]
            break
    return f"{path}:{rest}"


def per_activity(profiles: dict[str, Any], top: int) -> dict[str, Any]:
    p0, p1 = profiles["0"]["funcs"], profiles["1000"]["funcs"]
    rows = []
    for key, (calls1, tot1, cum1) in p1.items():
        calls0, tot0, cum0 = p0.get(key, [0, 0.0, 0.0])
        rows.append(
            {
                "function": short(key),
                "calls_per_activity": (calls1 - calls0) / 1000,
                "tottime_us": (tot1 - tot0) * 1e3,
                "cumtime_us": (cum1 - cum0) * 1e3,
            }
        )
    slope = (profiles["1000"]["total"] - profiles["0"]["total"]) * 1e3
    by_tot = sorted(rows, key=lambda r: -r["tottime_us"])[:top]
    by_cum = sorted(
        (r for r in rows if "squall/" in r["function"]), key=lambda r: -r["cumtime_us"]
    )[:top]
    squall_all = sorted(
        (r for r in rows if "squall/" in r["function"] and r["cumtime_us"] >= 0.5),
        key=lambda r: -r["cumtime_us"],
    )
    return {
        "profiled_us_per_activity": slope,
        "by_tottime": by_tot,
        "by_cumtime_squall": by_cum,
        "squall_all": squall_all,
    }


# ------------------------------------------------------------------ report
def report(
    steps: dict[str, float],
    imports: dict[str, Any],
    inproc: dict[str, Any],
    pa: dict[str, Any],
    top: int,
) -> str:
    out = ["### Start-up ladder (wall, median, interleaved)\n"]
    out.append("| command | wall ms |\n|---|---|")
    out.extend(f"| `{name}` | {ms:.1f} |" for name, ms in steps.items())
    out.append("")
    for label, it in imports.items():
        out.append(
            f"### `-X importtime`: {label} ({it['modules']} modules, "
            f"{it['total_self_ms']:.1f} ms of self time)\n"
        )
        out.append("| module | self ms | cumulative ms |\n|---|---|---|")
        for name, v in sorted(it["self_us"].items(), key=lambda kv: -kv[1])[:top]:
            out.append(f"| {name} | {v / 1e3:.1f} | {it['cum_us'][name] / 1e3:.1f} |")
        pk = ", ".join(f"{k} {v:.1f}" for k, v in list(it["by_package_ms"].items())[:8])
        out.append(f"\nself time by top-level package (ms): {pk}\n")
    out.append("### In-process slopes, no profiler (python-1000 minus python-0)\n")
    out.append("| command | N=0 ms | N=1000 ms | µs per activity |\n|---|---|---|---|")
    for name, s in inproc["slopes"].items():
        out.append(
            f"| {name} | {s['n0_ms']:.1f} | {s['n1000_ms']:.1f} | {s['us_per_activity']:.1f} |"
        )
    out.append(
        f"\n### cProfile, `run` python-1000 minus python-0, per activity "
        f"({pa['profiled_us_per_activity']:.0f} profiled µs per activity)\n"
    )
    out.append("By own time (tottime):\n")
    out.append("| function | calls/activity | tottime µs |\n|---|---|---|")
    for r in pa["by_tottime"]:
        out.append(f"| {r['function']} | {r['calls_per_activity']:.1f} | {r['tottime_us']:.1f} |")
    out.append("\nsquall functions by cumulative time:\n")
    out.append("| function | calls/activity | cumtime µs |\n|---|---|---|")
    for r in pa["by_cumtime_squall"]:
        out.append(f"| {r['function']} | {r['calls_per_activity']:.1f} | {r['cumtime_us']:.1f} |")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="bench/profile_squall.py", description=__doc__.split("\n")[0])
    ap.add_argument("--work", type=Path, default=Path("/tmp/squall-bench"))
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--top", type=int, default=15)
    ap.add_argument("--json", type=Path, default=None)
    a = ap.parse_args(argv)
    work = a.work.resolve()
    _bench_run_module().write_experiments(work / "experiments")
    env = child_env(work)
    exp = work / "experiments"
    steps = ladder(work, env, a.repeat)
    imports = {
        "squall --version": importtime(["-m", "squall", "--version"], env, work, a.repeat),
        "squall run trivial.json": importtime(
            [
                "-m",
                "squall",
                "run",
                "--journal-path",
                str(work / "journals" / "importtime.json"),
                str(exp / "trivial.json"),
            ],
            env,
            work,
            a.repeat,
        ),
    }
    inproc = inprocess(work, env, a.repeat)
    pa = per_activity(inproc["profiles"], a.top)
    print(report(steps, imports, inproc, pa, a.top))
    if a.json:
        a.json.write_text(
            json.dumps(
                {
                    "ladder_ms": steps,
                    "importtime": imports,
                    "slopes": inproc["slopes"],
                    "per_activity": pa,
                }
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

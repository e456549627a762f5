"""Regenerate the generated parts of docs/compatibility.md from docs/compatibility.yaml.

    .venv/bin/python scripts/compatibility_page.py          # rewrite the page
    .venv/bin/python scripts/compatibility_page.py --check  # exit 1 if it is out of date

Two blocks are generated, each between ``<!-- BEGIN name -->`` and ``<!-- END name -->``
markers: ``quick-list`` (one row per entry of the YAML file) and ``cases`` (for each
entry with conformance matchers, the cases of tests/conformance/cases.json it may
explain). Everything else on the page is prose, edited by hand.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "compatibility.md"
DATA = ROOT / "docs" / "compatibility.yaml"
CASES = ROOT / "tests" / "conformance" / "cases.json"


def _anchor(heading: str) -> str:
    """The anchor Python-Markdown's toc gives a heading (its default slugify)."""
    text = re.sub(r"[^\w\s-]", "", heading).strip().lower()
    return re.sub(r"[-\s]+", "-", text)


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def quick_list(entries: list[dict[str, Any]]) -> str:
    rows = ["| Area | Chaos Toolkit | squall | Status |", "|---|---|---|---|"]
    for e in entries:
        area = _cell(e["area"])
        if e.get("section"):
            area = f"[{area}](#{_anchor(e['section'])})"
        rows.append(f"| {area} | {_cell(e['ctk'])} | {_cell(e['squall'])} | {e['status']} |")
    return "\n".join(rows)


def _glob(pattern: str, text: str) -> bool:
    regex = ".*".join(re.escape(part) for part in pattern.split("*"))
    return re.fullmatch(regex, text) is not None


def case_table(entries: list[dict[str, Any]], case_ids: list[str]) -> str:
    rows = [
        f"The conformance corpus has {len(case_ids)} cases. These entries may explain "
        "differences in them (a matcher that selects every case applies only where its "
        "conditions hold):",
        "",
        "| Difference | Fields that may differ | Cases |",
        "|---|---|---|",
    ]
    for e in entries:
        for m in e.get("match") or []:
            chosen = [c for c in case_ids if any(_glob(p, c) for p in m["cases"])]
            cases = (
                f"any case where {_conditions(m)}"
                if len(chosen) == len(case_ids)
                else ", ".join(f"`{c}`" for c in chosen)
            )
            fields = ", ".join(f"`{f}`" for f in m["fields"])
            rows.append(f"| {e['id']} | {fields} | {cases} |")
    return "\n".join(rows)


def _conditions(m: dict[str, Any]) -> str:
    parts = [
        f"{side} has {path} {_values(value)}"
        for side in ("ctk", "squall")
        for path, value in (m.get(side) or {}).items()
    ]
    return _cell("; ".join(parts).replace("ctk has", "the Chaos Toolkit has")) or "always"


def _values(value: Any) -> str:
    if isinstance(value, list) and len(value) != 1:
        return "in " + ", ".join(json.dumps(v) for v in value)
    return "= " + json.dumps(value[0] if isinstance(value, list) else value)


def render(page: str, data: dict[str, Any], case_ids: list[str]) -> str:
    blocks = {
        "quick-list": quick_list(data["differences"]),
        "cases": case_table(data["differences"], case_ids),
    }
    for name, body in blocks.items():
        pattern = re.compile(rf"(<!-- BEGIN {name} -->\n).*?(<!-- END {name} -->)", re.DOTALL)
        if not pattern.search(page):
            raise SystemExit(f"{PAGE}: no <!-- BEGIN {name} --> ... <!-- END {name} --> block")
        page = pattern.sub(lambda m, body=body: m.group(1) + body + "\n" + m.group(2), page)
    return page


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    data = yaml.safe_load(DATA.read_text())
    case_ids = [c["id"] for c in json.loads(CASES.read_text())]
    current = PAGE.read_text()
    wanted = render(current, data, case_ids)
    if args.check:
        if wanted != current:
            print(f"{PAGE} is out of date: run scripts/compatibility_page.py", file=sys.stderr)
            return 1
        return 0
    PAGE.write_text(wanted)
    return 0


if __name__ == "__main__":
    sys.exit(main())

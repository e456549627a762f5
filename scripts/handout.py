"""The workshop's handout as a printable page and a PDF.

    .venv/bin/python scripts/handout.py [OUT_DIR]      (./dev handout)

Reads docs/workshop/handout.md (the whole course on one page), renders it to one
self-contained HTML file with a print stylesheet (A4, small type, no navigation), and
prints that to PDF through squall's report machinery (a headless Chromium:
``squall.report.pdf.print_pdf``). Writes OUT_DIR/handout.html and OUT_DIR/handout.pdf
(default: out/). Without a Chromium it writes the HTML, says so and exits 1.
"""

from __future__ import annotations

import html
import re
import sys
from pathlib import Path

import markdown

from squall.errors import InputError
from squall.report.pdf import print_pdf

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "docs" / "workshop" / "handout.md"

STYLE = """
@page { size: A4; margin: 9mm 11mm; }
body { font: 8.2pt/1.28 system-ui, -apple-system, "Segoe UI", sans-serif; color: #111;
       margin: 0; }
h1 { font-size: 15pt; margin: 0 0 4pt; }
h2 { font-size: 10pt; margin: 6pt 0 2pt; border-bottom: 1px solid #999; }
p, ul { margin: 3pt 0; } li { margin: 1pt 0; }
code { font: 7.6pt ui-monospace, "DejaVu Sans Mono", monospace; }
table { border-collapse: collapse; width: 100%; font-size: 7.6pt; }
th, td { border: 1px solid #bbb; padding: 1pt 3pt; text-align: left; }
a { color: inherit; text-decoration: none; }
footer { margin-top: 8pt; font-size: 8pt; color: #555; }
"""


def render(text: str) -> str:
    """The handout's Markdown as one HTML document (links to other pages become text)."""
    body = markdown.markdown(text, extensions=["tables"])
    body = re.sub(r'<a href="[^"]*\.md(#[^"]*)?">(.*?)</a>', r"\2", body)
    title = html.escape(text.splitlines()[0].lstrip("# ").strip())
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
        f"<style>{STYLE}</style></head><body>{body}"
        "<footer>squall workshop: the full course, with its exercises, is docs/workshop/ "
        "(squall workshop list).</footer></body></html>\n"
    )


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else ROOT / "out"
    out.mkdir(parents=True, exist_ok=True)
    page = render(SOURCE.read_text(encoding="utf-8"))
    (out / "handout.html").write_text(page, encoding="utf-8")
    print(f"wrote {out / 'handout.html'}")
    try:
        print_pdf(page, str(out / "handout.pdf"))
    except InputError as exc:
        print(f"no PDF: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {out / 'handout.pdf'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

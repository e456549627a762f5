"""JUnit XML for CI (Jenkins, GitLab, GitHub test reporters).

One ``testsuite`` per run (experiment); one ``testcase`` per hypothesis probe (before,
during, after), per method activity and per rollback. A probe out of tolerance is a
``failure``, a failed activity an ``error``, a run that did not inject (exit 4) has its
method's activities ``skipped`` with the reason. A message says what the console said (the
probe's ``problems`` sentences when it returns them); the tolerance and the output
themselves are the failure's text (a skipped case's system-out). Checked against the
JUnit schema the Jenkins xUnit plugin validates with (tests/report/data/junit-10.xsd).
"""

from __future__ import annotations

import re
from collections import defaultdict
from xml.etree import ElementTree as ET

from squall.report.model import Entry, RunReport

__all__ = ["render_junit"]

#: characters XML 1.0 cannot hold (control characters a process may print)
_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_PHASES = {
    "before": "hypothesis-before",
    "during": "hypothesis-during",
    "after": "hypothesis-after",
    "method": "method",
    "rollbacks": "rollbacks",
}


def _clean(text: object, width: int = 100_000) -> str:
    value = _INVALID.sub("\ufffd", str(text))
    return value if len(value) <= width else value[:width] + "… (cut; see the journal)"


def _time(seconds: float) -> str:
    return f"{seconds:.3f}"


def _case(
    suite: ET.Element, report: RunReport, phase: str, name: str, seconds: float
) -> ET.Element:
    return ET.SubElement(
        suite,
        "testcase",
        classname=_clean(f"{report.title}.{_PHASES[phase]}", 1000),
        name=_clean(name, 1000),
        time=_time(seconds),
    )


def _outcome(case: ET.Element, tag: str, message: str, text: str = "", kind: str = "") -> None:
    element = ET.SubElement(case, tag, message=_clean(message, 2000))
    if kind:
        element.set("type", _clean(kind, 200))
    if text:
        element.text = _clean(text)


def _probes(suite: ET.Element, report: RunReport) -> None:
    """One case per probe of each check, in phase order; the checks during the method are
    one case per probe, failed when any check missed."""
    for probe in report.before.probes if report.before else []:
        _probe(suite, report, probe, [probe])
    during: dict[str, list[Entry]] = defaultdict(list)
    for check in report.during:
        for probe in check.probes:
            during[probe.name].append(probe)
    for probes in during.values():
        _probe(suite, report, probes[0], probes)
    for probe in report.after.probes if report.after else []:
        _probe(suite, report, probe, [probe])


def _probe(suite: ET.Element, report: RunReport, first: Entry, runs: list[Entry]) -> None:
    label = f"{first.phase}: {first.name}"
    if len(runs) > 1:
        label += f" ({len(runs)} checks)"
    case = _case(suite, report, first.phase, label, sum(r.duration for r in runs))
    missed = [r for r in runs if r.tolerance_met is False]
    if not missed:
        return
    probe = missed[0]
    prefix = f"{len(missed)} of {len(runs)} checks missed; first: " if len(runs) > 1 else ""
    details = f"tolerance: {probe.expected}\noutput: {probe.actual}"
    if probe.traceback:
        details += "\n\n" + probe.traceback
    if report.outcome == "not-run" and probe.phase == "before":
        why = f"the steady state did not hold before the method: {probe.reason}"
        _outcome(case, "skipped", why)
        out = ET.SubElement(case, "system-out")  # a skipped element holds no text
        out.text = _clean(details)
        return
    _outcome(case, "failure", prefix + probe.reason, details, "deviated")


def _activity(suite: ET.Element, report: RunReport, entry: Entry) -> None:
    case = _case(suite, report, entry.phase, f"{entry.phase}: {entry.name}", entry.duration)
    if entry.status in ("failed", "cancelled"):
        _outcome(case, "error", entry.error or entry.status, entry.traceback, entry.status)
    elif entry.status == "excused":
        out = ET.SubElement(case, "system-out")
        out.text = _clean(f"failed, excused by its failure policy (on_failure): {entry.error}")


def _suite(root: ET.Element, report: RunReport) -> ET.Element:
    suite = ET.SubElement(
        root,
        "testsuite",
        name=_clean(report.title, 1000),
        timestamp=_clean(report.start[:19], 40),
        hostname=_clean(report.node or "unknown", 200),
        time=_time(report.duration),
    )
    properties = ET.SubElement(suite, "properties")
    for key, value in (
        ("outcome", report.outcome),
        ("exit_code", str(report.exit_code)),
        ("journal", report.source),
        ("run_id", report.run_id),
        ("experiment_digest", report.digest),
        ("squall_version", report.squall_version),
    ):
        if value:
            ET.SubElement(properties, "property", name=key, value=_clean(value, 2000))
    _probes(suite, report)
    for entry in [*report.method, *report.rollbacks]:
        _activity(suite, report, entry)
    _not_run(suite, report)
    _run_case(suite, report)
    _counts(suite)
    return suite


def _not_run(suite: ET.Element, report: RunReport) -> None:
    """Exit 4: the method's activities, as declared, are skipped with the reason."""
    if report.outcome != "not-run" or report.method:
        return
    why = report.reasons[0] if report.reasons else "the steady state did not hold before"
    for kind, name in report.declared:
        case = _case(suite, report, "method", f"method: {name}", 0.0)
        _outcome(case, "skipped", f"not run ({kind}): {why}")


def _run_case(suite: ET.Element, report: RunReport) -> None:
    """A broken or interrupted run whose cause is no activity's error gets a case that
    says why (an abort, a signal, a deadline)."""
    if report.outcome not in ("broken", "interrupted"):
        return
    if suite.find("testcase/error") is not None:
        return
    case = _case(suite, report, "method", "run", report.duration)
    _outcome(case, "error", "; ".join(report.reasons) or report.outcome, "", report.outcome)


def _counts(suite: ET.Element) -> None:
    cases = suite.findall("testcase")
    suite.set("tests", str(len(cases)))
    for attribute, tag in (("failures", "failure"), ("errors", "error"), ("skipped", "skipped")):
        suite.set(attribute, str(sum(1 for c in cases if c.find(tag) is not None)))


def render_junit(reports: list[RunReport]) -> str:
    root = ET.Element("testsuites", name="squall")
    suites = [_suite(root, report) for report in reports]
    for attribute in ("tests", "failures", "errors"):
        root.set(attribute, str(sum(int(s.get(attribute, "0")) for s in suites)))
    root.set("time", _time(sum(r.duration for r in reports)))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"

"""Every lint rule squall knows, in one table (docs/reference/lint.md lists the same)."""

from __future__ import annotations

from squall.lint.model import Rule, Severity

__all__ = ["RULES", "rule"]

_E, _W, _I = Severity.ERROR, Severity.WARNING, Severity.INFO

RULES: dict[str, Rule] = {
    r.id: r
    for r in (
        Rule(id="SQ001", name="bad-lint-settings", severity=_W,
             summary="the squall-lint extension is malformed or names an unknown rule"),
        Rule(id="SQ101", name="action-without-rollback", severity=_W,
             summary="a method action has no rollback that undoes it"),
        Rule(id="SQ102", name="method-probe-tolerance", severity=_W,
             summary="a probe in the method has a tolerance, which is never checked there"),
        Rule(id="SQ103", name="duplicate-activity-name", severity=_W,
             summary="two activities share a name; a ref or ${outputs.} finds only the first"),
        Rule(id="SQ201", name="hypothesis-without-probes", severity=_W,
             summary="no steady-state probe: the experiment can never find a weakness"),
        Rule(id="SQ202", name="tolerance-accepts-everything", severity=_E,
             summary="a tolerance that every output meets: the probe can never fail"),
        Rule(id="SQ203", name="jsonpath-without-expectation", severity=_I,
             summary="a jsonpath tolerance with neither expect nor count only checks existence"),
        Rule(id="SQ301", name="long-run-without-stop", severity=_W,
             summary="a long or continuous run with no safeguards control and no runtime.timeout"),
        Rule(id="SQ401", name="wildcard-target", severity=_W,
             summary="an action argument targets everything (\"*\", \"all\", all: true, --all)"),
        Rule(id="SQ402", name="full-percentage", severity=_W,
             summary="an action argument asks for 100 percent of the targets"),
        Rule(id="SQ403", name="unlimited-count", severity=_W,
             summary="a count/instances argument without a limit (null, negative, \"all\")"),
        Rule(id="SQ404", name="open-cidr", severity=_W,
             summary="an action argument names every address (0.0.0.0/0 or ::/0)"),
        Rule(id="SQ501", name="unknown-variable", severity=_E,
             summary="a ${name} that no configuration, secret or declared variable defines"),
        Rule(id="SQ502", name="unknown-output", severity=_E,
             summary="an ${outputs.<activity>} that names no activity finished earlier"),
        Rule(id="SQ503", name="bare-variable", severity=_W,
             summary="a bare $name: substituted when defined, else kept as text (a typo?)"),
        Rule(id="SQ601", name="inline-secret", severity=_W,
             summary="a literal password or token in the experiment instead of env or vault"),
    )
}  # fmt: skip


def rule(rule_id: str) -> Rule:
    return RULES[rule_id]

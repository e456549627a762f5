"""The probes end to end: real experiments run by squall's engine, judged by jsonpath tolerances."""

from __future__ import annotations

import json
import sys

import squall


def probe(module: str, func: str, **arguments):
    return {
        "type": "probe",
        "name": f"{func}-holds",
        "tolerance": {"type": "jsonpath", "path": "$.ok", "expect": True},
        "provider": {
            "type": "python",
            "module": f"squall.drivers.security.{module}",
            "func": func,
            "arguments": arguments,
        },
    }


def run(tmp_path, hypothesis, method):
    experiment = {
        "title": "security probes end to end",
        "description": "a loopback target",
        "steady-state-hypothesis": {"title": "secure", "probes": hypothesis},
        "method": method,
    }
    path = tmp_path / "experiment.json"
    path.write_text(json.dumps(experiment))
    return squall.run_experiment(path).to_dict()


def test_planted_secret_makes_the_hypothesis_deviate(tmp_path):
    watched = tmp_path / "watched"
    watched.mkdir()
    canary = "AKIA" + "IOSFODNN7EXAMPLE"  # split so that this test file is no canary itself
    plant = {
        "type": "action",
        "name": "plant-canary",
        "provider": {
            "type": "process",
            "path": sys.executable,
            "arguments": ["-c", f"open({str(watched / 'leak.env')!r}, 'w').write('K={canary}')"],
        },
    }
    journal = run(tmp_path, [probe("secrets", "exposed_secrets", paths=[str(watched)])], [plant])
    assert journal["steady_states"]["before"]["steady_state_met"] is True
    assert journal["steady_states"]["after"]["steady_state_met"] is False
    assert journal["deviated"] is True
    output = journal["steady_states"]["after"]["probes"][0]["output"]
    assert output["findings"][0]["kind"] == "aws_access_key_id"
    assert canary not in json.dumps(output)  # the journal only has the redacted form


def test_expired_certificate_fails_the_steady_state(tmp_path, serve, certs):
    good, bad = serve(tls="valid"), serve(tls="expired")
    ca = str(certs.ca_file)
    journal = run(
        tmp_path,
        [
            probe("tls", "tls_certificate", port=good.port, ca_bundle=ca),
            probe("tls", "tls_certificate", port=bad.port, ca_bundle=ca),
        ],
        [],
    )
    before = journal["steady_states"]["before"]
    assert before["steady_state_met"] is False
    outputs = [p["output"] for p in before["probes"]]
    assert outputs[0]["ok"] is True
    assert outputs[-1]["expired"] is True

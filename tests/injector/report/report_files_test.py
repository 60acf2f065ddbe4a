#!/usr/bin/env python3
"""A drill report's files read by real parsers (issue 14).

report_sample writes the sample report's directory; junit.xml is read with
python3-junitparser (as a CI would) and its counts checked against the
report.json beside it and against the figures the sample was made with;
timeline.svg is parsed with xml.etree and its fault bands counted per panel.
Controls, so no check can pass vacuously: a variant with one fault less has
one band less per panel, and one with every expectation passing has no
failing expectation testcase.

Usage: report_files_test.py REPORT_SAMPLE_BIN
"""
import json
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

from junitparser import Error, Failure, JUnitXml, Skipped

SVG = "{http://www.w3.org/2000/svg}"
TRICKY = "p99 <= 50ms & \"fast\" 'ok' </td></table><script>x</script>"
failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)


def render(sample, out, report=None):
    if report is None:
        cmd = [sample, out]
    else:
        src = out + ".json"
        with open(src, "w") as f:
            json.dump(report, f)
        cmd = [sample, "--render", src, out]
    subprocess.run(cmd, check=True, timeout=60)
    with open(os.path.join(out, "report.json")) as f:
        return json.load(f)


def outcomes(path):
    """testcase name -> "pass" | "failure" | "error", and the suite."""
    xml = JUnitXml.fromfile(path)
    suites = list(xml) if isinstance(xml, JUnitXml) else [xml]
    check(len(suites) == 1, "one testsuite (%d)" % len(suites))
    cases = {}
    for case in suites[0]:
        kinds = {type(r) for r in case.result}
        cases[case.name] = ("failure" if Failure in kinds else "error" if Error in kinds
                            else "skipped" if Skipped in kinds else "pass")
    return cases, suites[0], case_results(suites[0])


def case_results(suite):
    return {case.name: case.result for case in suite}


def expected_outcomes(report):
    exp = {}
    for e in report["expectations"]:
        name = "%s %s %s" % (e["path"], e["metric"], e["dc"] or "all")
        exp[name] = {"pass": "pass", "fail": "failure", "skipped": "skipped"}.get(e["result"], "error")
    for g in report["guards"]:
        exp["guard " + g["name"]] = "failure" if g["tripped"] else "pass"
    for i in report["invariants"]:
        exp["invariant " + i["name"]] = {"pass": "pass", "fail": "failure"}.get(i["result"], "error")
    exp["rollback"] = "pass" if report["rollback"]["result"] in ("confirmed", "nothing_to_revert") else "failure"
    return exp


def check_junit(out, report):
    cases, suite, results = outcomes(os.path.join(out, "junit.xml"))
    check(cases == expected_outcomes(report), "junit testcases match report.json: %s" % cases)
    # The sample's own figures, so a shared mistake cannot pass.
    check(suite.name == "fiber-cut-hangzhou", "suite named after the playbook (%r)" % suite.name)
    check((suite.tests, suite.failures, suite.errors) == (10, 2, 2),
          "10 tests, 2 failures, 2 errors (%s, %s, %s)" % (suite.tests, suite.failures, suite.errors))
    props = {p.name: p.value for p in suite.properties()}
    check(props.get("verdict") == "guard_aborted" and props.get("exit_code") == "22", "properties %s" % props)
    fail = results["steps[2].expect[1] latency_p99 hz"][0]
    check(fail.message == "measured 0.071 s, expected <= 0.05 s" and fail.text == TRICKY,
          "the failure's message and text survive escaping (%r, %r)" % (fail.message, fail.text))
    check(results["guard slow <hz&sz>"] and results["guard slow <hz&sz>"][0].message.startswith("tripped"),
          "a name with markup characters round-trips")


def check_junit_control(sample, tmp, report):
    for e in report["expectations"]:
        e["result"], e["measured"] = "pass", 1
    out = os.path.join(tmp, "all-pass")
    render(sample, out, report)
    cases, suite, _ = outcomes(os.path.join(out, "junit.xml"))
    check(not any(v != "pass" for k, v in cases.items() if k.startswith("steps[")),
          "control: expectations that pass have no failure or error")
    check((suite.failures, suite.errors) == (1, 1), "control: only the guard and an invariant remain (%s, %s)"
          % (suite.failures, suite.errors))
    # An rto under --no-faults: skipped for a CI, neither failure nor error.
    report["expectations"][0]["result"] = "skipped"
    out = os.path.join(tmp, "skipped")
    render(sample, out, report)
    cases, suite, _ = outcomes(os.path.join(out, "junit.xml"))
    name = "%s %s %s" % (report["expectations"][0]["path"], report["expectations"][0]["metric"],
                         report["expectations"][0]["dc"] or "all")
    check(cases.get(name) == "skipped" and suite.skipped == 1 and (suite.failures, suite.errors) == (1, 1),
          "a skipped expectation reads as skipped (%s; %s skipped)" % (cases.get(name), suite.skipped))


def bands(out):
    root = ET.parse(os.path.join(out, "timeline.svg")).getroot()
    panels = [g for g in root.iter(SVG + "g") if g.get("class") == "panel"]
    per_panel = []
    for g in panels:
        per_panel.append(sorted(r.get("data-fault") for r in g.iter(SVG + "rect") if r.get("class") == "fault-band"))
    trips = [len([x for x in g.iter(SVG + "g") if x.get("class") == "guard-trip"]) for g in panels]
    return [g.get("data-panel") for g in panels], per_panel, trips


def check_svg(sample, tmp, out, report):
    names, per_panel, trips = bands(out)
    check(names == ["", "hz", "sh", "sz"], "panels: all, then each datacenter (%s)" % names)
    check(per_panel == [["0", "1"]] * 4, "one band per fault per panel (%s)" % per_panel)
    check(trips == [1] * 4, "the guard trip marked in every panel (%s)" % trips)
    del report["faults"][0]
    fewer = os.path.join(tmp, "one-fault")
    render(sample, fewer, report)
    _, per_panel, _ = bands(fewer)
    check(per_panel == [["0"]] * 4, "control: one fault, one band per panel (%s)" % per_panel)


def check_hostile_text(sample, tmp, report):
    """Names from YAML and details from the systems under test with markup
    characters and control characters: junit.xml still parses, and the text
    comes back (a control character as U+FFFD: XML 1.0 cannot carry it)."""
    report["playbook"]["name"] = "a<&\"'>\u0001b"
    report["guards"][0]["name"] = "\u001b[31mred]]>"
    report["invariants"][2]["detail"] = "nul \u0000 here"
    out = os.path.join(tmp, "hostile")
    render(sample, out, report)
    cases, suite, results = outcomes(os.path.join(out, "junit.xml"))
    check(suite.name == "a<&\"'>\ufffdb", "hostile playbook name parses back (%r)" % suite.name)
    check("guard \ufffd[31mred]]>" in cases, "hostile guard name parses back (%s)" % sorted(cases))
    detail = results["invariant unknown_resolved"][0].text
    check(detail == "nul \ufffd here", "a NUL in a detail becomes U+FFFD (%r)" % detail)
    ET.parse(os.path.join(out, "timeline.svg"))  # raises if not well-formed
    check(True, "timeline.svg with hostile names is well-formed XML")


def main():
    sample = sys.argv[1]
    with tempfile.TemporaryDirectory(prefix="report_files_test.") as tmp:
        out = os.path.join(tmp, "sample")
        report = render(sample, out)
        check(sorted(os.listdir(out)) == ["junit.xml", "report.html", "report.json", "timeline.svg"],
              "the four files: %s" % sorted(os.listdir(out)))
        check_junit(out, report)
        check_junit_control(sample, tmp, json.loads(json.dumps(report)))
        check_svg(sample, tmp, out, json.loads(json.dumps(report)))
        check_hostile_text(sample, tmp, json.loads(json.dumps(report)))
    if failures:
        print("%d check(s) failed" % len(failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""Reads a drill's junit.xml with junitparser (Debian's python3-junitparser),
as a CI system would, and checks testcases' outcomes.

usage: junit_check.py JUNIT_XML 'NAME=pass|failure|error|skipped' ...
Exit 0 when every named testcase has that outcome; otherwise prints what
differs and every testcase read, and exits 1."""

import sys

from junitparser import JUnitXml


def outcomes(path):
    found = {}
    for suite in JUnitXml.fromfile(path):
        for case in suite:
            kinds = {type(r).__name__.lower() for r in case.result}
            found[case.name] = ("failure" if "failure" in kinds else "error" if "error" in kinds
                                else "skipped" if "skipped" in kinds else "pass")
    return found


def main():
    found = outcomes(sys.argv[1])
    wrong = []
    for want in sys.argv[2:]:
        name, _, outcome = want.rpartition("=")
        if found.get(name, "missing") != outcome:
            wrong.append(f"{name}: {found.get(name, 'missing')}, expected {outcome}")
    if wrong:
        print("\n".join(wrong) + "\nread: " + repr(found))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

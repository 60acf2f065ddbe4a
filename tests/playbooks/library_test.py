#!/usr/bin/env python3
"""The playbook library (playbooks/*.yaml) against the injector and the JSON Schema.

Every library playbook must pass `injector playbook validate` (names checked
against the lab's inventory) and validate against playbooks/playbook.schema.json.
Controls, so neither check can pass vacuously: the library holds the files
the issue names; a broken playbook makes the injector exit 2 naming the
path; and documents the format forbids are rejected by the schema.

Usage: library_test.py INJECTOR_BIN SOURCE_DIR
"""
import copy
import glob
import json
import os
import subprocess
import sys
import tempfile

import jsonschema
import yaml

EXPECTED = {"fiber-cut-hangzhou", "dc-partition", "cross-region-latency", "brownout",
            "flapping-link", "own-system", "meant-to-fail"}
failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)


def validate(injector, path, inventory):
    return subprocess.run([injector, "playbook", "validate", path, "--inventory", inventory, "--output", "json"],
                          capture_output=True, text=True, timeout=60)


def check_library(injector, files, inventory, validator):
    names = {os.path.basename(f)[:-len(".yaml")] for f in files}
    check(EXPECTED <= names, "the library has %s (found %s)" % (sorted(EXPECTED), sorted(names)))
    for f in files:
        r = validate(injector, f, inventory)
        doc = json.loads(r.stdout) if r.stdout.startswith("{") else {}
        check(r.returncode == 0 and doc.get("valid") is True,
              "injector validates %s (exit %d) %s" % (f, r.returncode, r.stdout.strip() if r.returncode else ""))
        with open(f) as fh:
            data = yaml.safe_load(fh)
        errors = ["%s: %s" % ("/".join(map(str, e.path)), e.message) for e in validator.iter_errors(data)]
        check(not errors, "the schema accepts %s %s" % (f, errors))
    return data


def check_injector_refuses(injector, source, inventory):
    with open(os.path.join(source, "playbooks", "fiber-cut-hangzhou.yaml")) as fh:
        text = fh.read()
    bad = text.replace("partition: {isolate: hz}", "partition: {isolate: hz, zone: a}")
    check(bad != text, "the bad playbook differs from the good one")
    with tempfile.NamedTemporaryFile("w", suffix=".yaml") as tmp:
        tmp.write(bad)
        tmp.flush()
        r = subprocess.run([injector, "playbook", "validate", tmp.name, "--inventory", inventory],
                           capture_output=True, text=True, timeout=60)
    check(r.returncode == 2, "injector exits 2 on a bad playbook (got %d)" % r.returncode)
    check("steps[1].inject.partition.zone: unknown key" in r.stdout, "the error names the path: %r" % r.stdout)


def check_schema_refuses(validator, good):
    """Documents the format forbids, each made from a valid one."""
    def broken(change):
        doc = copy.deepcopy(good)
        change(doc)
        return doc
    cases = {
        "an unknown top-level key": lambda d: d.update(colour="red"),
        "an inject without for": lambda d: d["steps"][1]["inject"].pop("for"),
        "a step with two actions": lambda d: d["steps"][0].update(revert=["x"]),
        "a duration without a unit": lambda d: d["steps"][0].update(wait="10"),
        "version 2": lambda d: d.update(version=2),
        "a wait_until without timeout": lambda d: d["steps"].append({"wait_until": {"expect": {"metric": "rto", "op": "<", "value": 1}}}),
    }
    check(validator.is_valid(good), "the schema accepts the base document of the negative cases")
    for what, change in cases.items():
        check(not validator.is_valid(broken(change)), "the schema rejects " + what)


def main():
    injector, source = sys.argv[1], sys.argv[2]
    inventory = os.path.join(source, "tests", "playbooks", "lab-inventory.yaml")
    with open(os.path.join(source, "playbooks", "playbook.schema.json")) as fh:
        schema = json.load(fh)
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    validator = validator_class(schema)
    files = sorted(glob.glob(os.path.join(source, "playbooks", "*.yaml")))
    check_library(injector, files, inventory, validator)
    check_injector_refuses(injector, source, inventory)
    with open(os.path.join(source, "playbooks", "fiber-cut-hangzhou.yaml")) as fh:
        check_schema_refuses(validator, yaml.safe_load(fh))
    print("%d failure(s)" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

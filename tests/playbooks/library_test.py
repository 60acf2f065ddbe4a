#!/usr/bin/env python3
"""The playbook library (playbooks/*.yaml) against the injector and the JSON Schema.

Every library playbook must pass `injector playbook validate` (names checked
against the lab's inventory) and validate against playbooks/playbook.schema.json.
The parser and the schema allow the same keys in every mapping (asked of the
injector through its error for an unknown key). Controls, so no check can
pass vacuously: the library holds the files
the issue names; a broken playbook makes the injector exit 2 naming the
path; and documents the format forbids are rejected by the schema.

Usage: library_test.py INJECTOR_BIN SOURCE_DIR
"""
import copy
import glob
import json
import os
import re
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


# A valid playbook with every kind of mapping the format has, and where each is.
KEYS_DOC = {
    "version": 1, "name": "keys", "safety": {"lease": "10s"}, "workload": {"payments": {
        "rate": 1, "request": {"path": "/p"}, "classify": {"declined": {"status": "402"}}}},
    "recovery": {"window": "3s"}, "report": {"dir": "x"},
    "probes": [{"name": "h", "http": {"url": "http://h:1/"}}, {"name": "c", "command": {"argv": ["true"]}},
               {"name": "p", "prometheus": {"url": "http://p:9090", "query": "up", "op": ">=", "value": 1}}],
    "guards": [{"name": "g", "expect": {"metric": "ok_per_s", "op": ">", "value": 1}}],
    "steps": [
        {"id": "a", "inject": {"partition": {"isolate": "hz"}, "for": "1s"}},
        {"inject": {"link": {"from": "hz", "to": "sz"}, "impair": {"delay": "1ms"}, "for": "1s"}},
        {"inject": {"host": {"host": "hz-1", "to": ["10.0.0.0/8"]}, "impair": {"loss": "1%"}, "for": "1s"}},
        {"wait_until": {"expect": {"metric": "ok_per_s", "op": ">", "value": 1}, "timeout": "1s"}},
        {"run": {"command": {"argv": ["true"]}}},
        {"run": {"http": {"url": "http://h:1/"}}},
        {"parallel": [{"wait": "1s"}]},
    ]}
# (where in KEYS_DOC, where in the schema): the parser's keys there must be the schema's.
MAPPINGS = [
    ([], []), (["safety"], ["properties", "safety"]), (["workload"], ["properties", "workload"]),
    (["workload", "payments"], ["properties", "workload", "properties", "payments"]),
    (["workload", "payments", "request"],
     ["properties", "workload", "properties", "payments", "properties", "request"]),
    (["workload", "payments", "classify"],
     ["properties", "workload", "properties", "payments", "properties", "classify"]),
    (["workload", "payments", "classify", "declined"],
     ["properties", "workload", "properties", "payments", "properties", "classify", "properties", "declined"]),
    (["recovery"], ["properties", "recovery"]), (["report"], ["properties", "report"]),
    (["probes", 0], ["$defs", "probe"]), (["probes", 0, "http"], ["$defs", "probe", "properties", "http"]),
    (["probes", 1, "command"], ["$defs", "probe", "properties", "command"]),
    (["probes", 2, "prometheus"], ["$defs", "probe", "properties", "prometheus"]),
    (["guards", 0], ["$defs", "guard"]), (["guards", 0, "expect"], ["$defs", "expectation"]),
    (["steps", 0], ["$defs", "step"]), (["steps", 0, "inject"], ["$defs", "inject"]),
    (["steps", 0, "inject", "partition"], ["$defs", "inject", "properties", "partition"]),
    (["steps", 1, "inject", "link"], ["$defs", "inject", "properties", "link"]),
    (["steps", 2, "inject", "host"], ["$defs", "inject", "properties", "host"]),
    (["steps", 3, "wait_until"], ["$defs", "step", "properties", "wait_until"]),
    (["steps", 4, "run"], ["$defs", "run"]), (["steps", 4, "run", "command"], ["$defs", "run", "properties", "command"]),
    (["steps", 5, "run", "http"], ["$defs", "run", "properties", "http"]),
]


def error_path(where):
    out = ""
    for k in where:
        out += "[%d]" % k if isinstance(k, int) else ("." if out else "") + k
    return out


def allowed_keys(injector, doc, path):
    """The keys the injector allows at `path`, from its error for an unknown one."""
    with tempfile.NamedTemporaryFile("w", suffix=".yaml") as tmp:
        json.dump(doc, tmp)  # JSON is YAML
        tmp.flush()
        r = subprocess.run([injector, "playbook", "validate", tmp.name, "--output", "json"],
                           capture_output=True, text=True, timeout=60)
    errors = json.loads(r.stdout)["errors"] if r.stdout.startswith("{") else []
    found = [e["allowed"] for e in errors if e["path"] == path]
    return set(found[0].split(", ")) if len(found) == 1 else None


def check_keys_agree(injector, schema):
    check(subprocess.run([injector, "playbook", "validate", "/dev/stdin"], input=json.dumps(KEYS_DOC),
                         capture_output=True, text=True, timeout=60).returncode == 0, "the keys document is valid")
    for where, pointer in MAPPINGS:
        doc = copy.deepcopy(KEYS_DOC)
        node = doc
        for k in where:
            node = node[k]
        node["zz"] = "1"
        sub = schema
        for k in pointer:
            sub = sub[k]
        check(allowed_keys(injector, doc, error_path(where + ["zz"])) == set(sub["properties"]),
              "parser and schema allow the same keys at %s" % (error_path(where) or "the top"))
    doc = copy.deepcopy(KEYS_DOC)
    doc["steps"][1]["inject"]["impair"]["zz"] = "1"
    check(allowed_keys(injector, doc, "steps[1].inject.impair.zz") ==
          set(schema["$defs"]["inject"]["properties"]["impair"]["propertyNames"]["enum"]),
          "the schema's impair keys are the CLI's impairment flags")


def check_readme_example(injector, source, inventory, validator, heading="A complete example"):
    """The example under `heading` in playbooks/README.md is a valid playbook."""
    with open(os.path.join(source, "playbooks", "README.md")) as fh:
        found = re.search(r"## " + heading + r"\n\n.*?```yaml\n(.*?)```", fh.read(), re.S)
    check(found is not None, "playbooks/README.md has the example of '%s'" % heading)
    if not found:
        return
    with tempfile.NamedTemporaryFile("w", suffix=".yaml") as tmp:
        tmp.write(found.group(1))
        tmp.flush()
        r = validate(injector, tmp.name, inventory)
    check(r.returncode == 0, "injector validates the README's example of '%s' (exit %d) %s"
          % (heading, r.returncode, r.stdout.strip() if r.returncode else ""))
    errors = [e.message for e in validator.iter_errors(yaml.safe_load(found.group(1)))]
    check(not errors, "the schema accepts the README's example of '%s' %s" % (heading, errors))


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
    check_keys_agree(injector, schema)
    check_readme_example(injector, source, inventory, validator)
    check_readme_example(injector, source, inventory, validator, "Your own payment API")
    with open(os.path.join(source, "playbooks", "fiber-cut-hangzhou.yaml")) as fh:
        check_schema_refuses(validator, yaml.safe_load(fh))
    print("%d failure(s)" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

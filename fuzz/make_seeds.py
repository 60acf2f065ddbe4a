#!/usr/bin/env python3
"""Writes the structured seeds of both fuzz targets into fuzz/corpus/ (the
files named s-*; the others were picked from runs). Issue 15: a 30 s run did
not reach a long value with a multi-byte character across the 64-byte cut of
a quoted value; these seeds start there: long values, 2-, 3- and 4-byte
characters at every offset across the cut, control and invisible characters,
invalid bytes, and every field of the spec. Usage: fuzz/make_seeds.py"""

import json
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
CUT = 64  # limits::kMaxQuoted
CHARS = {"2byte": "\u0562", "3byte": "\u4e2d", "4byte": "\U0001F600"}
NASTY = "\x1b[2J\u202e\u0085\n\x00\ufeff"  # escape, RTL override, C1, newline, NUL, BOM


def across_cut(char, lead):
    """`lead` ASCII bytes, then `char` repeated: it lands on every offset of the cut."""
    return "x" * lead + char * 12


def every_field():
    return {
        "device": "eth0",
        "match": {"to": ["10.0.0.0/8", "fd00::/64"], "from": ["192.168.0.0/16"], "protocol": "tcp",
                  "dport": "8000-8100", "sport": 443},
        "direction": "both", "backend": "delayline", "control_path": "include",
        "impairments": {"delay": {"time_us": 30000, "jitter_us": 5000, "correlation_pct": 25, "distribution": "normal"},
                        "loss": {"percent": 1, "correlation_pct": 5,
                                 "gilbert_elliott": {"p_pct": 1, "r_pct": 50, "bad_loss_pct": 100, "good_loss_pct": 0}},
                        "duplicate": {"percent": 1, "correlation_pct": 0}, "corrupt": {"percent": 0.1},
                        "reorder": {"percent": 5, "correlation_pct": 0, "gap": 5},
                        "bandwidth": {"rate_bps": 10000000, "burst_bytes": 32768},
                        "flap": {"period_ms": 2000, "down_pct": 30, "jitter_ms": 100}},
        "lifetime": {"duration_ms": 60000, "lease_ms": 10000},
        "labels": {"drill": "hz-sh", "team": "payments"},
    }


def cut_spec():
    return {"device": "eth0", "match": {"to": ["10.0.0.0/8"]}, "impairments": {"cut": {}}}


def put(spec, path, value):
    node = spec
    for key in path[:-1]:
        node = node.setdefault(key, {}) if isinstance(key, str) else node[key]
    node[path[-1]] = value
    return spec


# Each string the decoder reads, with where it sits in a body.
STRING_FIELDS = {
    "device": ["device"], "direction": ["direction"], "backend": ["backend"], "control-path": ["control_path"],
    "protocol": ["match", "protocol"], "dport": ["match", "dport"], "sport": ["match", "sport"],
    "cidr": ["match", "to", 0], "from-cidr": ["match", "from"], "distribution": ["impairments", "delay", "distribution"],
}


def decoder_seeds():
    seeds = {"every-field": every_field(), "patch-every-impairment": {"impairments": every_field()["impairments"],
                                                                      "lifetime": {"duration_ms": 1000}}}
    for name, path in STRING_FIELDS.items():
        base = every_field() if name in ("dport", "sport", "distribution") else cut_spec()
        if name == "from-cidr":
            path, value_of = ["match", "from"], lambda v: [v]
        else:
            value_of = lambda v: v
        seeds[f"{name}-long"] = put(json.loads(json.dumps(base)), path, value_of("v" * 300))
        seeds[f"{name}-nasty"] = put(json.loads(json.dumps(base)), path, value_of("eth" + NASTY))
        for cname, char in CHARS.items():
            lead = CUT - 2 if name not in ("cidr", "from-cidr") else 40  # a CIDR string over 64 is refused by length
            seeds[f"{name}-{cname}-at-cut"] = put(json.loads(json.dumps(base)), path, value_of(across_cut(char, lead)))
    for cname, char in CHARS.items():
        seeds[f"unknown-field-{cname}-at-cut"] = dict(cut_spec(), **{across_cut(char, CUT - 2): 1})
        seeds[f"unknown-impairment-{cname}-at-cut"] = put(cut_spec(), ["impairments", across_cut(char, CUT - 2)], {})
        seeds[f"label-key-{cname}-at-cut"] = put(cut_spec(), ["labels"], {across_cut(char, CUT - 2): "v"})
        seeds[f"label-value-{cname}"] = put(cut_spec(), ["labels"], {"k": across_cut(char, 250)})
        seeds[f"patch-distribution-{cname}-at-cut"] = {
            "impairments": {"delay": {"time_us": 1000, "jitter_us": 10, "distribution": across_cut(char, CUT - 2)}}}
    seeds["label-key-nasty"] = put(cut_spec(), ["labels"], {NASTY: 5})
    seeds["nested-unknown-nasty"] = put(cut_spec(), ["impairments"], {"delay": {"time_us": 1, NASTY * 20: 1}})
    out = os.path.join(HERE, "corpus", "fault_spec_decoder_fuzz")
    for name, body in seeds.items():
        with open(os.path.join(out, f"s-{name}.json"), "w", encoding="utf-8") as f:
            json.dump(body, f, ensure_ascii=False)


# fault_spec_validator_fuzz reads its spec with FuzzedDataProvider: strings
# from the front (a backslash then another byte ends one), numbers from the
# back, one byte each for small ranges, most significant first.
def fdp_string(text, max_len):
    raw = text.encode("utf-8", "surrogateescape") if isinstance(text, str) else text
    raw = raw[:max_len]
    return raw.replace(b"\\", b"\\\\") + (b"\\;" if len(raw) < max_len else b"")


def validator_seed(device, labels=(), n_labels=None):
    """A cut of 10.0.0.0/8 for 60 s with `device` and `labels` (key, value
    pairs), in the order spec() in fault_spec_validator_fuzz.cpp reads them."""
    front = fdp_string(device, 20)
    for key, value in labels:
        front += fdp_string(key, 70) + fdp_string(value, 260)
    back = [1, 0, 8, 10, 0, 0, 0, 0]       # match.to: one v4 CIDR (family, /8, 10.0.0.0); match.from: none
    back += [0, 0, 0, 0, 0]                # protocol any, no dport, no sport, egress, auto
    back += [1, 0, 0, 0, 0, 0, 0, 0]       # impairments: cut only
    back += [0] + list(struct.pack(">I", 60001))  # lifetime: in range, -1 + 60001 ms
    back += [len(labels) if n_labels is None else n_labels]
    return front + bytes(reversed(back))


def validator_seeds():
    seeds = {}
    for cname, char in CHARS.items():
        for lead in range(16, 20):
            seeds[f"device-{cname}-cut-short-at-{lead}"] = validator_seed("e" * lead + char * 3)
        seeds[f"label-key-{cname}-at-cut"] = validator_seed("eth0", [(across_cut(char, CUT - 2), "v")])
        seeds[f"label-value-{cname}"] = validator_seed("eth0", [("k", across_cut(char, 250))])
    seeds["device-invalid-bytes"] = validator_seed(b"eth\xff\xc3\x80\xed\xa0\x80\xc0\xaf")
    seeds["device-truncated-char"] = validator_seed(b"eth0\xe4\xb8")
    seeds["device-controls"] = validator_seed("e\x1b[2J\x00\n\x7f")
    seeds["device-invisible"] = validator_seed("eth\u202e0\u200b\ufeff")
    seeds["device-backslash"] = validator_seed("eth\\x41")
    seeds["label-key-invalid-bytes"] = validator_seed("eth0", [(b"\xff" * 70, "v")])
    seeds["label-key-controls"] = validator_seed("eth0", [(NASTY * 8, "v")])
    seeds["labels-33"] = validator_seed("eth0", [(f"k{i}", "v") for i in range(33)])
    seeds["ok-cut-labelled"] = validator_seed("eth0", [("drill", "hz-sh")])
    out = os.path.join(HERE, "corpus", "fault_spec_validator_fuzz")
    for name, data in seeds.items():
        with open(os.path.join(out, f"s-{name}"), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    decoder_seeds()
    validator_seeds()

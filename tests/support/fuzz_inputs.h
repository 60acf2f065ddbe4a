#pragma once
// Inputs the fuzzers found, for regression tests on the decoder, the router
// and the real daemon. Each is also in fuzz/corpus/<target>/.

#include <string>

namespace injector::testing {

// Issue 15 section 2, fault_spec_decoder_fuzz (corpus: regression-issue15-device-2byte-at-cut):
// valid UTF-8, a 124-byte device with two-byte characters, one of them
// (U+0562, bytes 63-64) across the 64-byte cut of the quoted value. Once
// answered 500: the error message held half a character.
inline const std::string kIssue15DeviceBody =
    "{\"device\": \"````` #4eeeeeeeeeeeeeeeeeeeeeee66\xD5\xA2\xCF\x96I 84466\xD5\xA2\xCF\x86i #6\xD5\xA2\xCF\x86i "
    "84466\xD5\xA2\xCF\x86i fl ```````UeeeeeeeeeeeeeeeeeeeeeeeeeeeeeUUUUUUUUUU`%th0\", \"match\": {\"to\": "
    "[\"10.0.0.0/8\"]}, \"impairments\": {\"cut\": {}}}\n";

}  // namespace injector::testing

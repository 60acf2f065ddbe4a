// Issue 15 section 2 on the real daemon: the body fault_spec_decoder_fuzz
// found (a long device with a two-byte character across the 64-byte cut of
// the quoted value) once got 500. It gets a 4xx naming `device`, nothing in
// the kernel or the fault list changes, and the audit log and the daemon's
// log stay valid UTF-8 with no raw control bytes. Beside it, a valid cut on
// the same daemon is applied and cuts real traffic: the refusals are not a
// daemon that refuses everything.

#include <fstream>
#include <sstream>

#include "common/strings.h"
#include "integration/daemon_fixture.h"
#include "support/fuzz_inputs.h"

namespace injector::testing {
namespace {

using nlohmann::json;

// Valid UTF-8, and no byte below 0x20 but the newline that ends each line.
::testing::AssertionResult clean_lines(const std::string& text) {
  try {
    (void)json(text).dump();
  } catch (const json::exception& e) {
    return ::testing::AssertionFailure() << "not valid UTF-8: " << e.what();
  }
  for (const unsigned char c : text) {
    if ((c < 0x20 && c != '\n') || c == 0x7F) return ::testing::AssertionFailure() << "raw control byte " << int(c);
  }
  return ::testing::AssertionSuccess();
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class Quoting : public DaemonInLab {
 protected:
  std::string audit_path() const { return dir_ + "/audit.jsonl"; }
};

TEST_F(Quoting, TheFuzzersBodyIsA400NamingDeviceAndChangesNothing) {
  daemon_.reset();
  start_daemon({"--audit-log", audit_path(), "--audit-format", "json"});

  const auto a = api("POST", "/v1/faults", kIssue15DeviceBody);
  EXPECT_EQ(a.status, 400) << a.body.dump();
  ASSERT_TRUE(a.body.is_object()) << "the answer is strict JSON (valid UTF-8)";
  EXPECT_EQ(a.body["error"].value("code", ""), "invalid_field") << a.body.dump();
  EXPECT_EQ(a.body["error"].value("field", ""), "device") << a.body.dump();
  const std::string message = a.body["error"].value("message", "");
  EXPECT_EQ(message.rfind("'````` #4eee", 0), 0u) << "the refused value, quoted: " << message;
  EXPECT_NE(message.find("(124 bytes)"), std::string::npos) << message;
  EXPECT_EQ(message.find("\xEF\xBF\xBD"), std::string::npos) << "cut on a character, not mended: " << message;

  // A fault id of non-ASCII and invalid bytes, which the daemon's log quotes.
  std::string id = "f-";
  for (int i = 0; i < 50; ++i) id += "\xD5\xA2";
  const auto g = api("GET", "/v1/faults/" + id + "\xFF");
  EXPECT_EQ(g.status, 404) << g.body.dump();
  EXPECT_EQ(g.body["error"].value("field", ""), "id") << g.body.dump();

  // Nothing changed: no fault, the kernel as before, traffic as before.
  EXPECT_EQ(api("GET", "/v1/faults").body["faults"].size(), 0u);
  EXPECT_EQ(lab_->tc_snapshot('a'), baseline_);
  EXPECT_EQ(udp('a', 'b', false), 20);

  // Positive control: the same daemon applies a valid cut, and it cuts.
  const std::string fid = apply_cut({ThreeSiteLab::v4_net('b')});
  ASSERT_FALSE(fid.empty());
  EXPECT_EQ(api("GET", "/v1/faults").body["faults"].size(), 1u);
  EXPECT_TRUE(udp_none('a', 'b', false, 'c', false)) << "the valid cut on the same daemon";
  EXPECT_EQ(api("DELETE", "/v1/faults/" + fid).status, 200);

  const std::string audit = read_file(audit_path());
  EXPECT_TRUE(clean_lines(audit)) << audit;
  std::istringstream lines(audit);
  bool refused_seen = false;
  for (std::string line; std::getline(lines, line);) {
    const json j = json::parse(line, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << line;
    if (j.value("status", 0) != 400) continue;
    refused_seen = true;
    EXPECT_EQ(j.value("device", ""), printable(json::parse(kIssue15DeviceBody)["device"].get<std::string>())) << line;
    EXPECT_EQ(j.value("error", ""), "invalid_field") << line;
  }
  EXPECT_TRUE(refused_seen) << "the refused apply is audited: " << audit;
  const std::string log = daemon_->log();
  EXPECT_TRUE(clean_lines(log)) << log;
  EXPECT_NE(log.find("GET /v1/faults/f-\xD5\xA2"), std::string::npos) << "the refused id is logged: " << log;
}

}  // namespace
}  // namespace injector::testing

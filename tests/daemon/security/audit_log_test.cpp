// The audit log's summaries and lines: what an apply, an update, a revert
// and a refused call record, in text and JSON, and that hostile values can
// never split a line.

#include "daemon/security/audit_log.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

#include "common/input_limits.h"
#include "tests/support/temp_dir.h"

namespace {

using injector::http::Request;
using injector::http::Response;
using injector::security::AuditFormat;
using injector::security::format_json;
using injector::security::format_text;
using injector::security::summarize;
using nlohmann::json;

// 2026-11-26T17:40:03.120Z
const auto kWhen = std::chrono::system_clock::time_point(std::chrono::milliseconds(1795714803120));

Request request(std::string method, std::string target, std::string body = {}) {
  return {std::move(method), std::move(target), std::move(body), {4242, 1000, 1001}};
}

TEST(AuditLog, AnApplyRecordsDeviceTargetsKindsAndTheNewId) {
  const auto rec = summarize(
      request("POST", "/v1/faults",
              R"({"device": "eth0", "match": {"to": ["10.0.0.0/8", "fd00::/64"], "from": ["10.1.0.0/16"]},
                  "impairments": {"delay": {"time_us": 1000}, "loss": {"percent": 1}}})"),
      {201, R"({"id": "f-0123456789ab", "state": "active"})"}, kWhen);
  EXPECT_EQ(format_text(rec),
            "2026-11-26T17:40:03.120Z uid=1000 gid=1001 pid=4242 method=POST path=/v1/faults device=eth0 targets=3 "
            "impairments=delay,loss status=201 fault=f-0123456789ab");
  EXPECT_EQ(json::parse(format_json(rec)),
            json::parse(R"({"time": "2026-11-26T17:40:03.120Z", "uid": 1000, "gid": 1001, "pid": 4242,
                            "method": "POST", "path": "/v1/faults", "status": 201, "fault": "f-0123456789ab",
                            "device": "eth0", "targets": 3, "impairments": ["delay", "loss"]})"));
}

TEST(AuditLog, AFailedApplyRecordsTheErrorCode) {
  const auto rec = summarize(request("POST", "/v1/faults", R"({"device": "eth9", "match": {"to": ["10.0.0.0/8"]},
                                                               "impairments": {"cut": {}}})"),
                             {409, R"({"error": {"code": "conflict", "message": "..."}})"}, kWhen);
  EXPECT_EQ(format_text(rec),
            "2026-11-26T17:40:03.120Z uid=1000 gid=1001 pid=4242 method=POST path=/v1/faults device=eth9 targets=1 "
            "impairments=cut status=409 error=conflict");
}

TEST(AuditLog, UpdatesAndRevertsNameTheFault) {
  auto rec = summarize(request("PATCH", "/v1/faults/f-1", R"({"impairments": {"delay": {"time_us": 5}}})"),
                       {200, "{}"}, kWhen);
  EXPECT_EQ(format_text(rec),
            "2026-11-26T17:40:03.120Z uid=1000 gid=1001 pid=4242 method=PATCH path=/v1/faults/f-1 impairments=delay "
            "status=200 fault=f-1");
  rec = summarize(request("DELETE", "/v1/faults"), {200, R"({"reverted": ["f-1", "f-2"]})"}, kWhen);
  EXPECT_EQ(format_text(rec),
            "2026-11-26T17:40:03.120Z uid=1000 gid=1001 pid=4242 method=DELETE path=/v1/faults status=200 "
            "reverted=f-1,f-2");
}

TEST(AuditLog, ARefusedCallRecordsWhatItTried) {
  const auto rec = summarize(request("DELETE", "/v1/faults/f-9"),
                             {403, R"({"error": {"code": "forbidden", "message": "uid 1000 may not use injectord"}})"},
                             kWhen);
  EXPECT_EQ(format_text(rec),
            "2026-11-26T17:40:03.120Z uid=1000 gid=1001 pid=4242 method=DELETE path=/v1/faults/f-9 status=403 "
            "fault=f-9 error=forbidden");
  const json j = json::parse(format_json(rec));
  EXPECT_EQ(j["status"], 403);
  EXPECT_EQ(j["error"], "forbidden");
  EXPECT_FALSE(j.contains("reverted"));
}

TEST(AuditLog, ATlsCallerIsRecordedByCertificateSubjectAndAddress) {
  Request req = request("POST", "/v1/faults", R"({"device": "eth0", "match": {"to": ["10.0.0.0/8"]}, "impairments": {"cut": {}}})");
  req.peer = {};
  req.peer.certificate_subject = "CN=ci-runner,O=payments";
  req.tcp = injector::http::TcpConnection{{"10.0.0.1", 8443}, {"10.0.0.9", 41234}};
  const auto rec = summarize(req, {201, R"({"id": "f-0123456789ab"})"}, kWhen);
  EXPECT_EQ(format_text(rec),
            "2026-11-26T17:40:03.120Z cert=CN=ci-runner,O=payments remote=10.0.0.9:41234 method=POST path=/v1/faults "
            "device=eth0 targets=1 impairments=cut status=201 fault=f-0123456789ab");
  const json j = json::parse(format_json(rec));
  EXPECT_EQ(j["cert"], "CN=ci-runner,O=payments");
  EXPECT_EQ(j["remote"], "10.0.0.9:41234");
  EXPECT_FALSE(j.contains("uid")) << "a TLS caller has no uid: " << j.dump();
  // A subject with spaces is quoted like any other value that is not plain.
  req.peer.certificate_subject = "CN=ci runner";
  EXPECT_NE(format_text(summarize(req, {201, "{}"}, kWhen)).find(R"( cert="CN=ci runner" )"), std::string::npos);
}

TEST(AuditLog, ARefusedHandshakeRecordsTheAddressAndWhy) {
  const auto rec = injector::security::refused_handshake({"::1", 5555}, "peer did not return a certificate", kWhen);
  EXPECT_EQ(format_text(rec),
            "2026-11-26T17:40:03.120Z remote=\"[::1]:5555\" status=0 error=tls_handshake "
            "reason=\"peer did not return a certificate\"");
  EXPECT_EQ(json::parse(format_json(rec)),
            json::parse(R"({"time": "2026-11-26T17:40:03.120Z", "remote": "[::1]:5555", "status": 0,
                            "error": "tls_handshake", "reason": "peer did not return a certificate"})"));
}

TEST(AuditLog, HostileValuesAreQuotedAndBoundedNeverSplitTheLine) {
  const std::string device = "eth0\nuid=0 status=201 " + std::string(200, 'x');
  const auto rec = summarize(request("POST", "/v1/faults", json{{"device", device}, {"impairments", {{"a b", 1}}}}.dump()),
                             {400, "not json"}, kWhen);
  const std::string text = format_text(rec);
  EXPECT_EQ(text.find('\n'), std::string::npos) << text;
  // printable() wrote the newline as \n, and the text format's JSON quoting doubled its backslash.
  EXPECT_NE(text.find(R"(device="eth0\\nuid=0 status=201 xxx)"), std::string::npos) << text;
  EXPECT_NE(text.find(R"(impairments="a b")"), std::string::npos) << text;
  EXPECT_LT(text.size(), 300u) << "a 200-byte device name is cut short";
  const std::string js = format_json(rec);
  EXPECT_EQ(js.find('\n'), std::string::npos) << js;
  EXPECT_EQ(json::parse(js)["device"].get<std::string>().substr(0, 6), "eth0\\n");
}

// Issue 15 section 2: values are cut on a character boundary and escaped by
// the one helper (common/strings.h printable), in both formats: a 2-byte
// character across the cut, invalid bytes in the path, a terminal escape and
// a right-to-left override in the certificate subject and the handshake reason.
TEST(AuditLog, NonAsciiAndOverlongValuesAreCutOnCharactersAndEscaped) {
  const std::string device = std::string(63, 'd') + "\xD5\xA2" + std::string(100, 'e');
  Request req = request("POST", "/v1/faults/\xFF\xC3x", json{{"device", device}, {"impairments", {{"cut", json::object()}}}}.dump());
  req.peer = {};
  req.peer.certificate_subject = "CN=\x1B[2Jadmin\xE2\x80\xAE";
  req.tcp = injector::http::TcpConnection{{"10.0.0.1", 8443}, {"10.0.0.9", 41234}};
  const auto rec = summarize(req, {400, R"({"error": {"code": "invalid_field"}})"}, kWhen);
  EXPECT_EQ(rec.device, std::string(63, 'd') + "...") << "the character that does not fit whole is left out";
  EXPECT_EQ(rec.path, "/v1/faults/\\xFF\\xC3x");
  EXPECT_EQ(*rec.peer.certificate_subject, "CN=\\x1B[2Jadmin\\u{202E}");
  for (const std::string& line : {format_text(rec), format_json(rec)}) {
    EXPECT_NO_THROW((void)json(line).dump()) << "valid UTF-8: " << line;
    for (const unsigned char c : line) EXPECT_TRUE(c >= 0x20 && c < 0x7F) << "byte " << int(c) << " in " << line;
  }
  const json j = json::parse(format_json(rec));
  EXPECT_EQ(j["device"], rec.device);
  EXPECT_EQ(j["path"], rec.path);
  EXPECT_EQ(j["cert"], *rec.peer.certificate_subject);
  const auto refused = injector::security::refused_handshake({"10.0.0.9", 5555}, "bad \x1B[31m\xC3 " + std::string(500, 'r'), kWhen);
  EXPECT_EQ(refused.reason.substr(0, 17), "bad \\x1B[31m\\xC3 ");
  EXPECT_LE(refused.reason.size(), 4 * injector::limits::kMaxQuoted + 3);
  EXPECT_EQ(json::parse(format_json(refused))["reason"], refused.reason);
}

TEST(AuditLog, BodiesThatAreNotJsonStillLogTheCall) {
  const auto rec = summarize(request("POST", "/v1/faults", "{{{"), {400, ""}, kWhen);
  EXPECT_EQ(format_text(rec),
            "2026-11-26T17:40:03.120Z uid=1000 gid=1001 pid=4242 method=POST path=/v1/faults status=400");
}

TEST(AuditLog, AppendsOneLinePerRecordToA0600File) {
  injector::testing::TempDir dir{"auditfile"};
  const std::string path = dir.file("audit.log");
  std::ofstream(path) << "an earlier line\n";
  ::chmod(path.c_str(), 0600);
  const auto rec = summarize(request("GET", "/v1/health"), {200, "{}"}, kWhen);
  {
    injector::security::AuditLog log(path, AuditFormat::text);
    log.write(rec);
  }
  {
    injector::security::AuditLog log(path, AuditFormat::json);
    log.write(rec);
  }
  std::ifstream in(path);
  std::string l1, l2, l3, extra;
  std::getline(in, l1);
  std::getline(in, l2);
  std::getline(in, l3);
  EXPECT_FALSE(std::getline(in, extra));
  EXPECT_EQ(l1, "an earlier line");
  EXPECT_EQ(l2, format_text(rec));
  EXPECT_EQ(json::parse(l3)["path"], "/v1/health");

  const std::string fresh = dir.file("new.log");
  injector::security::AuditLog created(fresh, AuditFormat::text);
  struct stat st {};
  ASSERT_EQ(::stat(fresh.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(AuditLog, FormatNamesAndUnopenableFilesAreRefused) {
  EXPECT_EQ(injector::security::parse_audit_format("text"), AuditFormat::text);
  EXPECT_EQ(injector::security::parse_audit_format("json"), AuditFormat::json);
  EXPECT_THROW(injector::security::parse_audit_format("xml"), std::invalid_argument);
  EXPECT_THROW(injector::security::AuditLog("/nonexistent-dir/audit.log", AuditFormat::text), std::system_error);
}

}  // namespace

#include "daemon/security/audit_log.h"

#include "common/duration.h"
#include "common/strings.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string_view>
#include <system_error>

namespace injector::security {
namespace {

using nlohmann::json;
constexpr std::string_view kFaultsPrefix = "/v1/faults/";
// A refused or malformed body can carry anything; the log keeps a bounded,
// printable slice of each value (common/strings.h), in both formats.
constexpr std::size_t kMaxValue = limits::kMaxQuoted;
constexpr std::size_t kMaxReason = 4 * kMaxValue;
constexpr std::size_t kMaxKinds = 16;

std::string bounded(std::string_view s) { return printable(s, kMaxValue); }
// The request target and a certificate's subject are kept whole (the server
// bounds the target's length), escaped all the same.
std::string whole(std::string_view s) { return printable(s, std::string_view::npos); }


// What the request body says: device, targets and kinds for an apply, kinds for an update.
void read_request(const http::Request& request, AuditRecord& r) {
  if (request.method != "POST" && request.method != "PATCH") return;
  const json body = json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  if (!body.is_object()) return;
  if (request.method == "POST") {
    if (auto d = body.find("device"); d != body.end() && d->is_string()) r.device = bounded(d->get<std::string>());
    if (auto m = body.find("match"); m != body.end() && m->is_object()) {
      std::size_t n = 0;
      for (const char* side : {"peer", "local", "to", "from"}) {  // to, from: v1 aliases
        if (auto list = m->find(side); list != m->end() && list->is_array()) n += list->size();
      }
      r.targets = n;
    }
  }
  if (auto imp = body.find("impairments"); imp != body.end() && imp->is_object()) {
    for (const auto& [kind, value] : imp->items()) {
      if (r.impairments.size() == kMaxKinds) break;
      r.impairments.push_back(bounded(kind));
    }
  }
}

// What the answer says: the new fault's id, the ids reverted, or the error code.
void read_response(const http::Request& request, const http::Response& response, AuditRecord& r) {
  const bool wanted = response.status >= 400 || request.method == "POST" || request.method == "DELETE";
  if (!wanted) return;  // GET answers can be large and say nothing the audit needs
  const json body = json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (!body.is_object()) return;
  if (auto e = body.find("error"); e != body.end() && e->is_object()) r.error = bounded(e->value("code", ""));
  if (request.method == "POST" && response.status == 201 && body.contains("id") && body["id"].is_string()) {
    r.fault_id = bounded(body["id"].get<std::string>());
  }
  if (auto rev = body.find("reverted"); rev != body.end() && rev->is_array()) {
    for (const auto& id : *rev) {
      if (id.is_string()) r.reverted.push_back(bounded(id.get<std::string>()));
    }
  }
}

bool plain(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    std::string_view("._:/@%+=,~-?&").find(c) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

// A value in the text format: as it is when plain, else JSON-quoted so a
// space cannot pass for the next key.
std::string text_value(const std::string& s) {
  if (plain(s)) return s;
  return json(s).dump(-1, ' ', /*ensure_ascii=*/true, json::error_handler_t::replace);
}

}  // namespace

AuditFormat parse_audit_format(const std::string& name) {
  if (name == "text") return AuditFormat::text;
  if (name == "json") return AuditFormat::json;
  throw std::invalid_argument("--audit-format: " + quote_input(name) + " is not text or json");
}

AuditRecord summarize(const http::Request& request, const http::Response& response,
                      std::chrono::system_clock::time_point when) {
  AuditRecord r;
  r.time = when;
  r.peer = request.peer;
  if (r.peer.certificate_subject) r.peer.certificate_subject = whole(*r.peer.certificate_subject);
  if (request.tcp) r.remote = request.tcp->remote.to_string();
  r.method = bounded(request.method);
  r.path = whole(request.target);
  r.status = response.status;
  const std::string path = request.target.substr(0, request.target.find('?'));
  if (path.starts_with(kFaultsPrefix)) r.fault_id = bounded(path.substr(kFaultsPrefix.size()));
  read_request(request, r);
  read_response(request, response, r);
  return r;
}

AuditRecord refused_handshake(const http::TcpAddress& remote, const std::string& reason,
                              std::chrono::system_clock::time_point when) {
  AuditRecord r;
  r.time = when;
  r.remote = remote.to_string();
  r.error = "tls_handshake";
  r.reason = printable(reason, kMaxReason);
  return r;
}

namespace {

// Who called, in text: the kernel's credentials, or the certificate and where it came from.
std::string caller_text(const AuditRecord& r) {
  std::string who;
  if (r.peer.by_certificate()) {
    who = " cert=" + text_value(*r.peer.certificate_subject);
  } else if (r.remote.empty()) {
    who = " uid=" + std::to_string(r.peer.uid) + " gid=" + std::to_string(r.peer.gid) + " pid=" + std::to_string(r.peer.pid);
  }
  if (!r.remote.empty()) who += " remote=" + text_value(r.remote);
  return who;
}

}  // namespace

std::string format_text(const AuditRecord& r) {
  std::string line = format_iso8601(r.time) + caller_text(r);
  if (!r.method.empty()) line += " method=" + text_value(r.method) + " path=" + text_value(r.path);
  if (!r.device.empty()) line += " device=" + text_value(r.device);
  if (r.targets) line += " targets=" + std::to_string(*r.targets);
  if (!r.impairments.empty()) line += " impairments=" + text_value(join(r.impairments));
  line += " status=" + std::to_string(r.status);
  if (!r.fault_id.empty()) line += " fault=" + text_value(r.fault_id);
  if (!r.reverted.empty()) line += " reverted=" + text_value(join(r.reverted));
  if (!r.error.empty()) line += " error=" + text_value(r.error);
  if (!r.reason.empty()) line += " reason=" + text_value(r.reason);
  return line;
}

std::string format_json(const AuditRecord& r) {
  json j = {{"time", format_iso8601(r.time)}, {"status", r.status}};
  if (r.peer.by_certificate()) {
    j["cert"] = *r.peer.certificate_subject;
  } else if (r.remote.empty()) {
    j["uid"] = r.peer.uid;
    j["gid"] = r.peer.gid;
    j["pid"] = r.peer.pid;
  }
  if (!r.remote.empty()) j["remote"] = r.remote;
  if (!r.method.empty()) {
    j["method"] = r.method;
    j["path"] = r.path;
  }
  if (!r.reason.empty()) j["reason"] = r.reason;
  if (!r.fault_id.empty()) j["fault"] = r.fault_id;
  if (!r.device.empty()) j["device"] = r.device;
  if (r.targets) j["targets"] = *r.targets;
  if (!r.impairments.empty()) j["impairments"] = r.impairments;
  if (!r.reverted.empty()) j["reverted"] = r.reverted;
  if (!r.error.empty()) j["error"] = r.error;
  // ensure_ascii: a stray byte or newline in a value can never break the line.
  return j.dump(-1, ' ', /*ensure_ascii=*/true, json::error_handler_t::replace);
}

AuditLog::AuditLog(const std::string& path, AuditFormat format) : path_(path), format_(format) {
  fd_ = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "cannot open audit log " + path);
}

AuditLog::~AuditLog() {
  if (fd_ >= 0) ::close(fd_);
}

void AuditLog::write(const AuditRecord& record) {
  const std::string line = (format_ == AuditFormat::json ? format_json(record) : format_text(record)) + "\n";
  std::size_t done = 0;
  while (done < line.size()) {
    const ssize_t n = ::write(fd_, line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw std::system_error(n < 0 ? errno : EIO, std::generic_category(), "cannot write audit log " + path_);
    done += static_cast<std::size_t>(n);
  }
}

}  // namespace injector::security

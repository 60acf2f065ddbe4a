#pragma once
// The audit log (--audit-log): one line per API call, appended, saying who
// called (uid, gid, pid from SO_PEERCRED, or a TLS client's certificate
// subject and address), what they asked for and what they got, refused calls
// and refused TLS handshakes included. Text for people, JSON lines for tools.

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "daemon/http/http_server.h"

namespace injector::security {

enum class AuditFormat { text, json };
AuditFormat parse_audit_format(const std::string& name);  // "text" or "json"; throws std::invalid_argument

struct AuditRecord {
  std::chrono::system_clock::time_point time;
  http::PeerCredentials peer;
  std::string method;
  std::string path;                      // the request target as sent
  std::string fault_id;                  // from the path, or the answer to an apply
  std::string device;                    // applies only
  std::optional<std::size_t> targets;    // applies only: match.to plus match.from
  std::vector<std::string> impairments;  // applies and updates: the impairment kinds
  int status = 0;
  std::string error;                     // the answer's error code, if it is one
  std::vector<std::string> reverted;     // reverts: the ids the answer names
  std::string remote;                    // TLS callers: their address:port
  std::string reason;                    // refused handshakes: why
};

// Reads the summary out of a call and its answer. Never throws on bad
// bodies: a refused or malformed request is logged with what could be read.
AuditRecord summarize(const http::Request& request, const http::Response& response,
                      std::chrono::system_clock::time_point when);

// A TLS client refused at the handshake: no request was read, so no method
// or path, status 0 and error "tls_handshake".
AuditRecord refused_handshake(const http::TcpAddress& remote, const std::string& reason,
                              std::chrono::system_clock::time_point when);

// One line, no newline. Text: `TIME uid=0 gid=0 pid=42 method=POST path=/v1/faults
// device=eth0 targets=2 impairments=cut status=201 fault=f-...`; a TLS caller
// has `cert=SUBJECT remote=ADDR:PORT` in place of uid, gid and pid; values that
// are not plain are JSON-quoted so a line never splits or lies.
std::string format_text(const AuditRecord& record);
std::string format_json(const AuditRecord& record);  // one JSON object

class AuditLog {
 public:
  // Opens (creating, mode 0600) for appending; throws std::system_error naming the path.
  AuditLog(const std::string& path, AuditFormat format);
  ~AuditLog();
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  // Appends the record as one line with a single write(2) (O_APPEND keeps
  // lines whole even if two daemons shared a file); throws std::system_error.
  void write(const AuditRecord& record);

 private:
  std::string path_;
  int fd_ = -1;
  AuditFormat format_;
};

}  // namespace injector::security

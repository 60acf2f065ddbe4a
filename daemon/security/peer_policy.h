#pragma once
// Who may use the API: the socket's file mode is the first gate, this is the
// second. A peer is judged by the credentials the kernel recorded when it
// connected (SO_PEERCRED), which it cannot forge, so a socket whose mode was
// loosened by mistake still serves nobody but root and the allowed group.

#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>

#include "daemon/http/http_server.h"

namespace injector::security {

// True when the peer may use the API. Injectable so tests can play any peer.
using PeerPolicy = std::function<bool(const http::PeerCredentials&)>;

struct AllowedGroup {
  std::string name;
  gid_t gid = 0;
};

// Resolves --allow-group NAME with getgrnam; throws std::invalid_argument
// naming the group when it does not exist.
AllowedGroup resolve_group(const std::string& name);

// True when `uid` belongs to `group`: its primary gid (as connected, or in
// the password database) or a supplementary group (getgrouplist, which reads
// the group's member lists).
bool uid_in_group(uid_t uid, gid_t peer_gid, gid_t group);

// Root always; members of `group` when one is given; nobody else.
PeerPolicy root_or_group(std::optional<gid_t> group);

// The 403 answer for a refused peer; the message names its uid.
http::Response forbidden(const http::PeerCredentials& peer);

}  // namespace injector::security

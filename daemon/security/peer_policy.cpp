#include "daemon/security/peer_policy.h"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <stdexcept>
#include <vector>

#include "common/fault_json.h"
#include "common/strings.h"

namespace injector::security {
namespace {

// getpwuid_r/getgrnam_r want a caller buffer; sysconf may say "no limit" (-1).
std::size_t buffer_size(int name) {
  const long n = ::sysconf(name);
  return n > 0 ? static_cast<std::size_t>(n) : 16384;
}

// The supplementary groups of a user name (with its primary gid), growing the
// buffer as getgrouplist asks.
std::vector<gid_t> groups_of(const char* user, gid_t primary) {
  int count = 32;
  std::vector<gid_t> groups;
  for (int attempt = 0; attempt < 8; ++attempt) {
    groups.resize(static_cast<std::size_t>(count));
    const int asked = count;
    if (::getgrouplist(user, primary, groups.data(), &count) >= 0) {
      groups.resize(static_cast<std::size_t>(count));
      return groups;
    }
    if (count <= asked) count = asked * 2;  // some libcs do not report the size they need
  }
  return {primary};
}

}  // namespace

AllowedGroup resolve_group(const std::string& name) {
  std::vector<char> buf(buffer_size(_SC_GETGR_R_SIZE_MAX));
  group gr{};
  group* found = nullptr;
  const int rc = ::getgrnam_r(name.c_str(), &gr, buf.data(), buf.size(), &found);
  if (rc != 0 || found == nullptr) throw std::invalid_argument("--allow-group: no group named " + quote_input(name));
  return {name, gr.gr_gid};
}

bool uid_in_group(uid_t uid, gid_t peer_gid, gid_t group) {
  if (peer_gid == group) return true;
  std::vector<char> buf(buffer_size(_SC_GETPW_R_SIZE_MAX));
  passwd pw{};
  passwd* found = nullptr;
  // A uid without a password entry has no supplementary groups to look up.
  if (::getpwuid_r(uid, &pw, buf.data(), buf.size(), &found) != 0 || found == nullptr) return false;
  if (pw.pw_gid == group) return true;
  const auto groups = groups_of(pw.pw_name, pw.pw_gid);
  return std::find(groups.begin(), groups.end(), group) != groups.end();
}

PeerPolicy root_or_group(std::optional<gid_t> group) {
  return [group](const http::PeerCredentials& peer) {
    if (peer.uid == 0) return true;
    // uid -1: SO_PEERCRED failed, so we do not know who it is.
    if (peer.uid == static_cast<uid_t>(-1) || !group) return false;
    return uid_in_group(peer.uid, peer.gid, *group);
  };
}

http::Response forbidden(const http::PeerCredentials& peer) {
  const nlohmann::json body = error_json("forbidden", "uid " + std::to_string(peer.uid) + " may not use injectord",
                                         "peer", "root, or a member of the group given by --allow-group");
  return {403, body.dump() + "\n"};
}

}  // namespace injector::security

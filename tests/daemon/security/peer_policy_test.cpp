// Who may call: root always, the allowed group's members, nobody else. Uses
// this host's password and group databases (Debian's `nobody`/`nogroup`).

#include "daemon/security/peer_policy.h"

#include <grp.h>
#include <gtest/gtest.h>
#include <pwd.h>

#include <nlohmann/json.hpp>
#include <stdexcept>

namespace {

using injector::http::PeerCredentials;
using injector::security::resolve_group;
using injector::security::root_or_group;
using injector::security::uid_in_group;

constexpr uid_t kNobody = 65534;
constexpr gid_t kNogroup = 65534;
constexpr gid_t kUnusedGid = 54321;  // no group and no user has it

PeerCredentials peer(uid_t uid, gid_t gid) { return {1234, uid, gid}; }

TEST(PeerPolicy, RootIsAlwaysAllowed) {
  EXPECT_TRUE(root_or_group(std::nullopt)(peer(0, 0)));
  EXPECT_TRUE(root_or_group(kNogroup)(peer(0, kUnusedGid)));
}

TEST(PeerPolicy, WithoutAGroupEveryoneElseIsRefused) {
  EXPECT_FALSE(root_or_group(std::nullopt)(peer(kNobody, kNogroup)));
  EXPECT_FALSE(root_or_group(std::nullopt)(peer(1000, 0))) << "root's group is not root";
}

TEST(PeerPolicy, UnknownCredentialsAreRefused) {
  // SO_PEERCRED failed: PeerCredentials keeps uid and gid at -1.
  EXPECT_FALSE(root_or_group(kNogroup)(PeerCredentials{}));
}

TEST(PeerPolicy, ThePeersPrimaryGidAdmitsIt) {
  EXPECT_TRUE(root_or_group(kNogroup)(peer(kNobody, kNogroup)));
  // Even a uid without a password entry: the kernel vouches for its gid.
  EXPECT_TRUE(root_or_group(kUnusedGid)(peer(54321, kUnusedGid)));
}

TEST(PeerPolicy, OtherGroupsRefuse) {
  ASSERT_NE(::getpwuid(kNobody), nullptr) << "this test needs Debian's nobody";
  EXPECT_FALSE(root_or_group(0)(peer(kNobody, kNogroup))) << "nobody is not in group root";
  EXPECT_FALSE(root_or_group(kUnusedGid)(peer(kNobody, kNogroup)));
  EXPECT_FALSE(root_or_group(kUnusedGid)(peer(54321, 54322))) << "no password entry, no other gid";
}

TEST(PeerPolicy, ThePasswordDatabaseGidAndSupplementaryGroupsCount) {
  // Connected with some other gid (after setgid), still a member by its entry.
  EXPECT_TRUE(uid_in_group(kNobody, kUnusedGid, kNogroup));
  // Some group listing a member: that member's uid belongs to it.
  setgrent();
  const group* listed = nullptr;
  for (const group* g = getgrent(); g; g = getgrent()) {
    if (g->gr_mem && g->gr_mem[0] && ::getpwnam(g->gr_mem[0])) {
      listed = g;
      break;
    }
  }
  if (!listed) {
    endgrent();
    GTEST_SKIP() << "no group on this host lists a member";
  }
  const gid_t gid = listed->gr_gid;
  const passwd* member = ::getpwnam(listed->gr_mem[0]);
  const uid_t uid = member->pw_uid;
  endgrent();
  EXPECT_TRUE(uid_in_group(uid, kUnusedGid, gid)) << "uid " << uid << " is listed in gid " << gid;
}

TEST(PeerPolicy, ResolvesGroupNames) {
  EXPECT_EQ(resolve_group("nogroup").gid, kNogroup);
  EXPECT_EQ(resolve_group("root").gid, 0u);
  try {
    resolve_group("no-such-group-injectord");
    FAIL() << "an unknown group must be refused";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("no-such-group-injectord"), std::string::npos) << e.what();
  }
}

TEST(PeerPolicy, ForbiddenIsA403WithTheUsualErrorBody) {
  const auto r = injector::security::forbidden(peer(65534, 65534));
  EXPECT_EQ(r.status, 403);
  const auto body = nlohmann::json::parse(r.body);
  EXPECT_EQ(body["error"]["code"], "forbidden");
  EXPECT_EQ(body["error"]["field"], "peer");
  EXPECT_EQ(body["error"]["message"], "uid 65534 may not use injectord");
  EXPECT_FALSE(body["error"].value("allowed", "").empty());
}

}  // namespace

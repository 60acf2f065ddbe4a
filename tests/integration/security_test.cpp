// injectord as a safe root service, on the real daemon: a non-root peer
// really connects (a child that setuid()s before connecting) and is refused
// or served by group, every call lands in the audit log, and --cleanup
// removes what a killed daemon left.

#include <fcntl.h>
#include <grp.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <fstream>

#include "injector/http_client.h"
#include "integration/daemon_fixture.h"

namespace injector::testing {
namespace {

using nlohmann::json;
constexpr uid_t kNobody = 65534;
constexpr gid_t kNogroup = 65534;

struct Outcome {
  int status = -1;  // -1: could not connect
  std::string body;
  pid_t pid = -1;   // the child's, as the daemon saw it
};

// Forks a child that drops to uid:gid (no supplementary groups) and only then
// connects, so the daemon's SO_PEERCRED is really that uid's. The answer
// comes back through a pipe. Nothing but this thread runs while the child
// lives, so allocating in it after fork is safe.
Outcome call_as(uid_t uid, gid_t gid, const std::string& socket, const std::string& method, const std::string& target,
                const std::string& body = {}) {
  int fds[2];
  if (::pipe(fds) != 0) return {};
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    if (::setgroups(0, nullptr) != 0 || ::setgid(gid) != 0 || ::setuid(uid) != 0) ::_exit(126);
    std::string out = "-1\n";
    try {
      const auto r = client::http_request(client::Endpoint::parse("unix:" + socket), method, target, body);
      out = std::to_string(r.status) + "\n" + r.body;
    } catch (const std::exception& e) {
      out += e.what();
    }
    const bool ok = ::write(fds[1], out.data(), out.size()) == static_cast<ssize_t>(out.size());
    ::_exit(ok ? 0 : 1);
  }
  ::close(fds[1]);
  std::string got;
  char buf[4096];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) got.append(buf, static_cast<std::size_t>(n));
  ::close(fds[0]);
  int wstatus = 0;
  ::waitpid(pid, &wstatus, 0);
  Outcome o;
  o.pid = pid;
  const auto nl = got.find('\n');
  if (nl == std::string::npos) return o;
  o.status = std::stoi(got.substr(0, nl));
  o.body = got.substr(nl + 1);
  return o;
}

std::vector<std::string> lines_of(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

class Security : public DaemonInLab {
 protected:
  void restart(const std::vector<std::string>& flags) {
    daemon_->signal(SIGTERM);
    ASSERT_EQ(daemon_->wait_exit(std::chrono::seconds(10)), 0) << daemon_->log();
    start_daemon(flags);
    // mkdtemp made the directory 0700: let other uids reach the socket inside.
    ASSERT_EQ(::chmod(dir_.c_str(), 0711), 0);
  }
  std::string audit_path() const { return dir_ + "/audit.log"; }
};

TEST_F(Security, ANonRootPeerIsRefusedWith403RootIsServedAndEveryCallIsAudited) {
  restart({"--audit-log", audit_path(), "--audit-format", "json"});
  // The 0660 root-owned socket would stop nobody at connect(); loosen it to
  // prove the second gate (the peer's credentials) holds on its own.
  ASSERT_EQ(::chmod(socket_path().c_str(), 0666), 0);

  const Outcome refused = call_as(kNobody, kNogroup, socket_path(), "POST", "/v1/faults", cut_body({"10.231.2.0/24"}).dump());
  ASSERT_EQ(refused.status, 403) << refused.body;
  const json err = json::parse(refused.body, nullptr, false);
  EXPECT_EQ(err["error"].value("code", ""), "forbidden") << refused.body;
  EXPECT_NE(err["error"].value("message", "").find("uid 65534"), std::string::npos) << refused.body;
  EXPECT_EQ(lab_->tc_snapshot('a'), baseline_) << "a refused apply changes nothing";
  EXPECT_EQ(udp('a', 'b', false), 20);

  const std::string id = apply_cut({ThreeSiteLab::v4_net('b')});
  ASSERT_EQ(api("GET", "/v1/faults").status, 200);
  ASSERT_EQ(api("DELETE", "/v1/faults/" + id).status, 200);
  EXPECT_NE(daemon_->log().find("refused uid 65534"), std::string::npos) << daemon_->log();

  const auto lines = lines_of(audit_path());
  ASSERT_EQ(lines.size(), 4u) << "one line per call";
  std::vector<json> rec;
  for (const auto& line : lines) rec.push_back(json::parse(line));
  EXPECT_EQ(rec[0]["uid"], kNobody);
  EXPECT_EQ(rec[0]["pid"], refused.pid);
  EXPECT_EQ(rec[0]["status"], 403);
  EXPECT_EQ(rec[0]["error"], "forbidden");
  EXPECT_EQ(rec[0]["device"], "eth0");
  EXPECT_EQ(rec[0]["targets"], 1);
  for (std::size_t i = 1; i < rec.size(); ++i) {
    EXPECT_EQ(rec[i]["uid"], 0) << lines[i];
    EXPECT_EQ(rec[i]["pid"], ::getpid()) << lines[i];
  }
  EXPECT_EQ(rec[1]["status"], 201);
  EXPECT_EQ(rec[1]["fault"], id);
  EXPECT_EQ(rec[1]["impairments"], json::array({"cut"}));
  EXPECT_EQ(rec[2]["method"], "GET");
  EXPECT_EQ(rec[3]["reverted"], json::array({id}));
}

TEST_F(Security, MembersOfTheAllowedGroupAreServedThroughTheGroupOwnedSocket) {
  restart({"--allow-group", "nogroup", "--audit-log", audit_path()});
  struct stat st {};
  ASSERT_EQ(::stat(socket_path().c_str(), &st), 0);
  EXPECT_EQ(st.st_gid, kNogroup);
  EXPECT_EQ(st.st_mode & 07777, 0660u);

  const Outcome health = call_as(kNobody, kNogroup, socket_path(), "GET", "/v1/health");
  EXPECT_EQ(health.status, 200) << health.body;
  const Outcome applied = call_as(kNobody, kNogroup, socket_path(), "POST", "/v1/faults",
                                  cut_body({ThreeSiteLab::v4_net('b')}).dump());
  ASSERT_EQ(applied.status, 201) << applied.body;
  EXPECT_TRUE(udp_none('a', 'b', false, 'c', false));
  // Outside the group, the file mode already stops the connect.
  const Outcome outsider = call_as(kNobody, 65533, socket_path(), "GET", "/v1/health");
  EXPECT_EQ(outsider.status, -1) << outsider.body;
  ASSERT_EQ(api("DELETE", "/v1/faults").status, 200);
  EXPECT_EQ(lab_->tc_snapshot('a'), baseline_);

  const auto lines = lines_of(audit_path());
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_NE(lines[0].find(" uid=65534 gid=65534 pid=" + std::to_string(health.pid) + " method=GET path=/v1/health status=200"),
            std::string::npos) << lines[0];
  EXPECT_NE(lines[1].find(" uid=65534 "), std::string::npos) << lines[1];
  EXPECT_NE(lines[1].find(" status=201 fault=f-"), std::string::npos) << lines[1];
  EXPECT_NE(lines[2].find(" uid=0 "), std::string::npos) << lines[2];
  EXPECT_NE(lines[2].find(" reverted=f-"), std::string::npos) << lines[2];
}

TEST_F(Security, CleanupAfterAKilledDaemonLeavesTheHostAsItWas) {
  const std::string id = apply_cut({ThreeSiteLab::v4_net('b')}, 300'000);
  json ingress = cut_body({ThreeSiteLab::v4_net('c')}, 300'000);
  ingress["direction"] = "both";
  ASSERT_EQ(api("POST", "/v1/faults", ingress.dump()).status, 201);
  std::vector<std::string> cleanup{"ip", "netns", "exec", lab_->ns('a'), INJECTORD_BIN, "--cleanup",
                                   "--socket", socket_path(), "--state-dir", dir_ + "/state"};

  // A live daemon is not cleaned up under its feet.
  ChildProcess refused(cleanup, dir_ + "/cleanup-live.log");
  EXPECT_EQ(refused.wait_exit(std::chrono::seconds(20)), 1) << refused.log();
  EXPECT_EQ(api("GET", "/v1/faults/" + id).status, 200);

  daemon_->signal(SIGKILL);
  daemon_->wait_exit(std::chrono::seconds(5));
  ASSERT_TRUE(udp_none('a', 'b', false, 'c', true)) << "a killed daemon cannot revert";
  ASSERT_NE(lab_->tc_snapshot('a'), baseline_);
  ASSERT_TRUE(std::filesystem::exists(dir_ + "/state/journal.json"));

  ChildProcess cleaner(cleanup, dir_ + "/cleanup.log");
  EXPECT_EQ(cleaner.wait_exit(std::chrono::seconds(20)), 0) << cleaner.log();
  EXPECT_EQ(lab_->tc_snapshot('a'), baseline_);
  EXPECT_EQ(lab_->exec('a', {"ip", "link", "show"}).out.find("ifbfa17"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/state/journal.json")) << "the journal goes too";
  EXPECT_EQ(udp('a', 'b', false), 20);
  EXPECT_EQ(udp('a', 'c', false), 20);
  EXPECT_FALSE(std::filesystem::exists(socket_path())) << "--cleanup serves nothing";

  start_daemon();
  EXPECT_EQ(api("GET", "/v1/faults").body["faults"].size(), 0u) << "nothing left to resume";
}

TEST_F(Security, CleanupRemovesTheDelayLinesTables) {
  json body = {{"device", "eth0"}, {"match", {{"to", {ThreeSiteLab::v4_net('b')}}}},
               {"impairments", {{"delay", {{"time_us", 20000}}}}}, {"backend", "delayline"}};
  const auto a = api("POST", "/v1/faults", body.dump());
  if (a.status == 422) GTEST_SKIP() << "no delay line on this kernel: " << a.body.dump();
  ASSERT_EQ(a.status, 201) << a.body.dump();
  ASSERT_NE(lab_->exec('a', {"nft", "list", "tables"}).out.find("injectord"), std::string::npos);
  daemon_->signal(SIGKILL);
  daemon_->wait_exit(std::chrono::seconds(5));
  ChildProcess cleaner({"ip", "netns", "exec", lab_->ns('a'), INJECTORD_BIN, "--cleanup", "--socket", socket_path(),
                        "--state-dir", dir_ + "/state"},
                       dir_ + "/cleanup.log");
  EXPECT_EQ(cleaner.wait_exit(std::chrono::seconds(20)), 0) << cleaner.log();
  EXPECT_EQ(lab_->exec('a', {"nft", "list", "tables"}).out.find("injectord"), std::string::npos)
      << lab_->exec('a', {"nft", "list", "ruleset"}).out;
  EXPECT_EQ(lab_->tc_snapshot('a'), baseline_);
}

}  // namespace
}  // namespace injector::testing

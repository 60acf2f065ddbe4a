// The Prometheus probe against a real Prometheus (Debian's package) that
// the test starts on 127.0.0.1, scraping itself every second: `up` is 1 once
// it has scraped, and a stopped server is unknown, never ok. Prometheus is
// ready for `up` about 6 s after it starts (its discovery manager sends the
// first targets after 5 s), hence one test doing everything with one server.

#include <gtest/gtest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <thread>

#include "injector/drill/probes.h"
#include "tests/support/process.h"
#include "tests/injector/drill/probe_test_util.h"
#include "tests/support/temp_dir.h"

namespace {

using namespace injector::drill;
using namespace injector::drill::testing;
using injector::playbook::CompareOp;
using std::chrono::milliseconds;

// A port the kernel just gave out and took back: free unless someone else
// binds it in the next instant (then Prometheus fails and says so in its log).
int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    throw std::runtime_error("free_port: cannot bind 127.0.0.1");
  }
  ::close(fd);
  return ntohs(a.sin_port);
}

void write_config(const std::string& path, int port) {
  std::ofstream(path) << "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                      << "scrape_configs:\n  - job_name: self\n    static_configs:\n"
                      << "      - targets: ['127.0.0.1:" << port << "']\n";
}

ProbeResult query(const std::string& url, const std::string& q, CompareOp op, double value) {
  return run_probe_once(prometheus_probe(url, q, op, value));
}

TEST(PrometheusServer, UpIsOneAndAStoppedServerIsUnknown) {
  injector::testing::TempDir dir("probeprom");
  const int port = free_port();
  write_config(dir.file("prom.yml"), port);
  const std::string url = "http://127.0.0.1:" + std::to_string(port);
  injector::testing::ChildProcess prom({"/usr/bin/prometheus", "--web.listen-address=127.0.0.1:" + std::to_string(port),
                                        "--storage.tsdb.path=" + dir.file("data"),
                                        "--config.file=" + dir.file("prom.yml")},
                                       dir.file("log"));

  // Until its first scrape of itself, `up` does not exist: refused, not ready
  // (503) or an empty vector. Each of those must be unknown, never fail or ok.
  const auto start = std::chrono::steady_clock::now();
  ProbeResult up;
  int unknowns = 0;
  while (std::chrono::steady_clock::now() - start < std::chrono::seconds(30)) {
    up = query(url, "up", CompareOp::ge, 1);
    if (up.observed != Observed::kUnknown) break;
    ++unknowns;
    std::this_thread::sleep_for(milliseconds(100));
  }
  const auto ready_ms =
      std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - start).count();
  std::printf("[ figures  ] prometheus answered up after %lld ms, %d unknown results before (last: %s)\n",
              static_cast<long long>(ready_ms), unknowns, up.detail.c_str());
  ASSERT_EQ(up.observed, Observed::kOk) << up.detail << "\n" << prom.log();
  EXPECT_EQ(up.value, 1.0);

  const ProbeResult below = query(url, "up", CompareOp::lt, 1);
  EXPECT_EQ(below.observed, Observed::kFail) << below.detail;
  EXPECT_EQ(query(url, "scalar(up)", CompareOp::eq, 1).observed, Observed::kOk);
  // What the real server says when there is not exactly one number.
  const ProbeResult none = query(url, R"(up{job="no-such-job"})", CompareOp::ge, 0);
  EXPECT_EQ(none.observed, Observed::kUnknown) << none.detail;
  const ProbeResult two = query(url, "up or vector(1)", CompareOp::ge, 0);
  EXPECT_EQ(two.observed, Observed::kUnknown) << two.detail;
  const ProbeResult bad = query(url, "up{", CompareOp::ge, 0);
  EXPECT_EQ(bad.observed, Observed::kUnknown) << bad.detail;

  prom.signal(SIGTERM);
  ASSERT_TRUE(prom.wait_exit(std::chrono::seconds(20)).has_value()) << "prometheus did not stop";
  for (CompareOp op : {CompareOp::ge, CompareOp::lt}) {
    const ProbeResult down = query(url, "up", op, 1);
    EXPECT_EQ(down.observed, Observed::kUnknown) << down.detail;
  }
}

}  // namespace

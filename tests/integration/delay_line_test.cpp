// The userspace delay line on real traffic: site a's egress goes through an
// NFQUEUE rule (iptables here, a test-only stand-in for daemon/nft's rule)
// into a DelayLine created inside a's namespace; probes measure what reaches b.
#include "daemon/delayline/delay_line.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <future>
#include <memory>
#include <thread>

#include <nlohmann/json.hpp>

#include "support/listener.h"
#include "support/netns.h"
#include "support/process.h"
#include "support/probes.h"
#include "support/stats_expect.h"

namespace injector::testing {
namespace {

using namespace std::chrono_literals;
using delayline::DelayLine;
using delayline::QueueOptions;
using Clock = std::chrono::steady_clock;

constexpr std::uint16_t kQueue = 7;  // queue numbers are per namespace: no clash with other runs
constexpr std::uint32_t kDupMark = 0x2a;

using stats::expect_rate;
using stats::samples;
// Half the margin max(20%, 5 ms) a delay must be caught at.
double tolerance(double delay_ms) { return stats::median_tolerance_ms(delay_ms); }

// Runs fn on a thread that entered namespace ns (netlink and raw sockets bind to it).
template <class F>
auto in_netns(const std::string& ns, F fn) {
  std::packaged_task<decltype(fn())()> task([&] {
    const int fd = open(("/var/run/netns/" + ns).c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) throw std::runtime_error("cannot enter namespace " + ns);
    close(fd);
    return fn();
  });
  auto result = task.get_future();
  std::thread(std::move(task)).join();
  return result.get();
}

struct OwnedFd {
  int fd;
  ~OwnedFd() { close(fd); }
};

// Where a blast goes and what it records. `intact` counts datagrams that
// arrived exactly as sent.
struct Blast {
  char site = 'b';
  bool v6 = false;
  std::size_t size = 64;
  std::vector<Clock::time_point>* arrivals = nullptr;
  int* intact = nullptr;
};

// Sends `count` numbered UDP datagrams from a to the site, one every
// `spacing`, and returns the sequence numbers received, in arrival order.
std::vector<int> udp_blast(const ThreeSiteLab& lab, int count, std::chrono::microseconds spacing, Blast opt = {}) {
  const int family = opt.v6 ? AF_INET6 : AF_INET;
  OwnedFd rx{in_netns(lab.ns(opt.site), [&] { return socket(family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0); })};
  OwnedFd tx{in_netns(lab.ns('a'), [&] { return socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0); })};
  const int big = 8 << 20;
  setsockopt(rx.fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big);
  sockaddr_storage ss{};
  auto* addr = reinterpret_cast<sockaddr*>(&ss);
  socklen_t len = opt.v6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
  if (opt.v6) {
    reinterpret_cast<sockaddr_in6*>(&ss)->sin6_family = AF_INET6;
    inet_pton(AF_INET6, ThreeSiteLab::v6(opt.site).c_str(), &reinterpret_cast<sockaddr_in6*>(&ss)->sin6_addr);
  } else {
    reinterpret_cast<sockaddr_in*>(&ss)->sin_family = AF_INET;
    inet_pton(AF_INET, ThreeSiteLab::v4(opt.site).c_str(), &reinterpret_cast<sockaddr_in*>(&ss)->sin_addr);
  }
  if (bind(rx.fd, addr, len) != 0) throw std::runtime_error("bind");
  getsockname(rx.fd, addr, &len);
  const std::size_t size = opt.size;
  auto* arrivals = opt.arrivals;
  int* intact = opt.intact;
  std::vector<int> got;
  auto drain = [&] {
    std::vector<char> buf(65536);
    ssize_t n;
    while ((n = recv(rx.fd, buf.data(), buf.size(), 0)) >= 4) {
      int seq;
      std::memcpy(&seq, buf.data(), sizeof seq);
      got.push_back(seq);
      if (arrivals) arrivals->push_back(Clock::now());
      if (intact && static_cast<std::size_t>(n) == size && seq >= 0 && seq < count &&
          std::all_of(buf.begin() + sizeof seq, buf.begin() + n, [](char ch) { return ch == 'x'; })) {
        ++*intact;
      }
    }
  };
  std::vector<char> msg(size, 'x');
  auto next = Clock::now();
  for (int seq = 0; seq < count; ++seq) {
    std::memcpy(msg.data(), &seq, sizeof seq);
    sendto(tx.fd, msg.data(), msg.size(), 0, addr, len);
    next += spacing;
    // Drain at least once per send: a sender blocked by its socket's send
    // buffer (packets held in the queue stay charged to it) falls behind `next`,
    // and arrival times must still be taken as they happen.
    do drain();
    while (Clock::now() < next);
  }
  // Until nothing more arrives for 500 ms.
  for (auto quiet = Clock::now() + 500ms; Clock::now() < quiet;) {
    const std::size_t before = got.size();
    pollfd p{rx.fd, POLLIN, 0};
    poll(&p, 1, 20);
    drain();
    if (got.size() != before) quiet = Clock::now() + 500ms;
  }
  return got;
}

class DelayLineLab : public ::testing::Test {
 protected:
  void SetUp() override {
    lab_ = std::make_unique<ThreeSiteLab>();
    // Queue bypass: with nobody bound the rule lets packets by; marked duplicates skip it.
    run_checked({"ip", "netns", "exec", lab_->ns('a'), "iptables", "-t", "mangle", "-A", "POSTROUTING", "-o", "eth0",
                 "-m", "mark", "!", "--mark", std::to_string(kDupMark), "-j", "NFQUEUE", "--queue-num",
                 std::to_string(kQueue), "--queue-bypass"});
    line_ = make_line();
  }
  void TearDown() override {
    line_.reset();
    if (lab_) {
      run_command({"ip", "netns", "exec", lab_->ns('a'), "iptables", "-t", "mangle", "-F", "POSTROUTING"});
      run_command({"ip", "netns", "exec", lab_->ns('a'), "ip6tables", "-t", "mangle", "-F", "POSTROUTING"});
    }
    lab_.reset();
  }
  std::unique_ptr<DelayLine> make_line() const {
    return in_netns(lab_->ns('a'), [] { return std::make_unique<DelayLine>(); });
  }
  void add(const Impairments& imp) const { line_->add(kQueue, imp, QueueOptions{10'000, 8u << 20, kDupMark}); }
  double rtt_ms(int probes = 200) const {
    const auto replies = ping_replies(lab_->ns('a'), ThreeSiteLab::v4('b'), probes, 0.005);
    EXPECT_GE(replies.size(), static_cast<std::size_t>(probes * 9 / 10));
    return median_rtt_ms(replies);
  }

  std::unique_ptr<ThreeSiteLab> lab_;
  std::unique_ptr<DelayLine> line_;
};

Impairments delay(std::chrono::microseconds t) {
  Impairments imp;
  imp.delay = DelayImpairment{t, 0us, 0, Distribution::none};
  return imp;
}

// Catches a delay off by max(20%, 5 ms).
TEST_F(DelayLineLab, DelayRaisesMedianRttByThirtyMs) {
  const double baseline = rtt_ms();
  add(delay(30ms));
  const double delayed = rtt_ms();
  EXPECT_NEAR(delayed - baseline, 30.0, tolerance(30)) << "baseline " << baseline << " ms, delayed " << delayed << " ms";
  std::printf("[ figures  ] median RTT baseline %.3f ms, with 30 ms delay %.3f ms (+%.3f)\n", baseline, delayed,
              delayed - baseline);
  const auto c = line_->counters(kQueue);
  EXPECT_GE(c.packets_delayed, 180u);
  EXPECT_EQ(c.packets_sent, c.packets_seen);
}

// Catches a loss rate off by half (10% or 30%), or losses not of our making.
TEST_F(DelayLineLab, LossTwentyPercentInsideBinomialInterval) {
  Impairments imp;
  imp.loss = LossImpairment{20, 0, std::nullopt};
  add(imp);
  const int n = samples(0.2);
  const auto got = udp_blast(*lab_, n, 200us);
  expect_rate(n - static_cast<int>(got.size()), n, 0.2, "lost");
  std::printf("[ figures  ] loss 20%%: %zu of %d lost\n", n - got.size(), n);
  const auto c = line_->counters(kQueue);
  EXPECT_EQ(c.packets_dropped, static_cast<std::uint64_t>(n) - got.size()) << "every loss is ours";
}

// Catches a duplicate rate off by half, a lost original, or uncounted copies.
TEST_F(DelayLineLab, DuplicatesArriveTwice) {
  Impairments imp;
  imp.duplicate = ChanceImpairment{30, 0};
  add(imp);
  const int n = samples(0.3);
  const auto got = udp_blast(*lab_, n, 200us);
  expect_rate(static_cast<int>(got.size()) - n, n, 0.3, "duplicated");
  std::printf("[ figures  ] duplicate 30%%: %zu received for %d sent\n", got.size(), n);
  std::vector<int> distinct = got;
  std::sort(distinct.begin(), distinct.end());
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
  EXPECT_EQ(distinct.size(), static_cast<std::size_t>(n)) << "every original arrives";
  EXPECT_EQ(line_->counters(kQueue).packets_duplicated, got.size() - n) << "copies skip the rule (marked)";
}

TEST_F(DelayLineLab, IpV6DuplicatesArriveTwice) {
  run_checked({"ip", "netns", "exec", lab_->ns('a'), "ip6tables", "-t", "mangle", "-A", "POSTROUTING", "-o", "eth0",
               "-p", "udp", "-m", "mark", "!", "--mark", std::to_string(kDupMark), "-j", "NFQUEUE", "--queue-num",
               std::to_string(kQueue), "--queue-bypass"});
  Impairments imp;
  imp.duplicate = ChanceImpairment{30, 0};
  add(imp);
  const int n = samples(0.3);
  const auto got = udp_blast(*lab_, n, 200us, Blast{.v6 = true});
  expect_rate(static_cast<int>(got.size()) - n, n, 0.3, "IPv6 duplicated");
  EXPECT_EQ(line_->counters(kQueue).packets_duplicated, got.size() - n) << "IPV6_HDRINCL copies, marked";
}

// Catches either queue's delay off by max(20%, 5 ms), e.g. one delay for both.
TEST_F(DelayLineLab, OneThreadServesQueuesWithDifferentDelays) {
  // Traffic to c goes to queue 8 (rule inserted ahead of the fixture's catch-all for queue 7).
  run_checked({"ip", "netns", "exec", lab_->ns('a'), "iptables", "-t", "mangle", "-I", "POSTROUTING", "-o", "eth0",
               "-d", ThreeSiteLab::v4('c'), "-j", "NFQUEUE", "--queue-num", "8", "--queue-bypass"});
  const double to_b = median_rtt_ms(ping_replies(lab_->ns('a'), ThreeSiteLab::v4('b'), 200, 0.005));
  const double to_c = median_rtt_ms(ping_replies(lab_->ns('a'), ThreeSiteLab::v4('c'), 200, 0.005));
  add(delay(10ms));
  line_->add(8, delay(30ms));
  auto ping_b = std::async(std::launch::async, [&] { return ping_replies(lab_->ns('a'), ThreeSiteLab::v4('b'), 200, 0.005); });
  const auto c_replies = ping_replies(lab_->ns('a'), ThreeSiteLab::v4('c'), 200, 0.005);
  EXPECT_NEAR(median_rtt_ms(ping_b.get()) - to_b, 10.0, tolerance(10));
  EXPECT_NEAR(median_rtt_ms(c_replies) - to_c, 30.0, tolerance(30));
  EXPECT_GE(line_->counters(8).packets_delayed, 180u);
  line_->remove(8);
}

// Catches a corrupt rate off by half, or a corrupted datagram that arrives intact.
TEST_F(DelayLineLab, CorruptedPacketsNeverArriveIntact) {
  Impairments imp;
  imp.corrupt = ChanceImpairment{10, 0};
  add(imp);
  const int n = samples(0.1);
  int intact = 0;
  const auto got = udp_blast(*lab_, n, 200us, Blast{.intact = &intact});
  const auto corrupted = line_->counters(kQueue).packets_corrupted;
  expect_rate(n - intact, n, 0.1, "not intact");
  // One flipped payload bit: the receiver's UDP checksum drops the datagram,
  // or (checksum offload trusted on the way) it arrives altered. Never intact.
  EXPECT_EQ(static_cast<std::uint64_t>(n - intact), corrupted);
  std::printf("[ figures  ] corrupt 10%%: %lu corrupted, %zu of %d arrived, %d intact\n",
              static_cast<unsigned long>(corrupted), got.size(), n, intact);
}

// Catches a reorder rate off by half, or reordering the counters do not show.
TEST_F(DelayLineLab, ReorderSendsSomeAheadOfDelayedOnes) {
  Impairments imp = delay(10ms);
  imp.reorder = ReorderImpairment{25, 0, 0};
  add(imp);
  const int n = samples(0.25);
  const auto got = udp_blast(*lab_, n, 1ms);
  ASSERT_EQ(got.size(), static_cast<std::size_t>(n));
  // A packet arrived ahead when one sent before it had not arrived yet.
  int ahead = 0;
  std::vector<bool> seen(n);
  int lowest_missing = 0;
  for (int seq : got) {
    seen[seq] = true;
    if (seq > lowest_missing) ++ahead;
    while (lowest_missing < n && seen[lowest_missing]) ++lowest_missing;
  }
  // Sent at once with 10 earlier ones still held, each arrives ahead (the
  // first datagram, with none before it, is the exception).
  const auto at_once = static_cast<int>(line_->counters(kQueue).packets_reordered);
  expect_rate(at_once, n, 0.25, "sent at once");
  EXPECT_NEAR(ahead, at_once, 1) << "every one sent at once arrives ahead of an earlier one";
}

// Catches a rate off by 20% (the timing margin): accepted within +/-10%.
TEST_F(DelayLineLab, RateTenMbitGivesUdpGoodputWithinTenPercent) {
  Impairments imp;
  imp.bandwidth = BandwidthImpairment{10'000'000, 0};
  add(imp);
  std::vector<Clock::time_point> at;
  const std::size_t size = 1250;
  const auto got = udp_blast(*lab_, 2000, 50us, Blast{.size = size, .arrivals = &at});  // offered ~200 Mbit/s: the link is the bottleneck
  ASSERT_GT(got.size(), 1500u);
  const double seconds = std::chrono::duration<double>(at.back() - at.front()).count();
  const double mbit = static_cast<double>((got.size() - 1) * size * 8) / seconds / 1e6;
  EXPECT_NEAR(mbit, 10.0 * size / (size + 28), 1.0) << "payload share of the 10 Mbit/s IP rate";
  const auto c = line_->counters(kQueue);
  std::printf("[ figures  ] rate 10 mbit: UDP goodput %.3f Mbit/s over %.2f s (%zu received; seen %lu, delayed %lu, "
              "overruns %lu)\n", mbit, seconds, got.size(), static_cast<unsigned long>(c.packets_seen),
              static_cast<unsigned long>(c.packets_delayed), static_cast<unsigned long>(line_->receive_overruns()));
}

// Catches a rate off by 20% (the timing margin): accepted within +/-10%.
TEST_F(DelayLineLab, RateTenMbitGivesTcpGoodputWithinTenPercent) {
  Impairments imp;
  imp.bandwidth = BandwidthImpairment{10'000'000, 0};
  add(imp);
  ChildProcess server({"ip", "netns", "exec", lab_->ns('b'), "iperf3", "-s", "-1", "-p", "5201"}, "/dev/null");
  ASSERT_TRUE(wait_for_listener(lab_->ns('b'), 5201, 5s)) << "iperf3 server never listened";
  const auto r = lab_->exec('a', {"iperf3", "-c", ThreeSiteLab::v4('b'), "-p", "5201", "-t", "4", "-J"});
  const auto j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded() || !j.contains("end")) << r.out;
  const double mbit = j["end"]["sum_received"].value("bits_per_second", 0.0) / 1e6;
  EXPECT_NEAR(mbit, 10.0, 1.0) << "TCP over a 10 Mbit/s IP link";
  std::printf("[ figures  ] rate 10 mbit: TCP goodput %.3f Mbit/s (iperf3, 4 s)\n", mbit);
}

TEST_F(DelayLineLab, DownDropsEverythingAndUpRestores) {
  add(Impairments{});
  line_->change(kQueue, Impairments{}, true);
  EXPECT_EQ(udp_blast(*lab_, 50, 1ms).size(), 0u);
  line_->change(kQueue, Impairments{}, false);
  EXPECT_EQ(udp_blast(*lab_, 50, 1ms).size(), 50u);
}

TEST_F(DelayLineLab, DestroyingTheLineReleasesHeldPacketsAndTrafficFlowsAtOnce) {
  const double baseline = rtt_ms();
  add(delay(2s));
  OwnedFd rx{in_netns(lab_->ns('b'), [] { return socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0); })};
  OwnedFd tx{in_netns(lab_->ns('a'), [] { return socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0); })};
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  inet_pton(AF_INET, ThreeSiteLab::v4('b').c_str(), &addr.sin_addr);
  ASSERT_EQ(bind(rx.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  getsockname(rx.fd, reinterpret_cast<sockaddr*>(&addr), &len);
  for (int i = 0; i < 10; ++i) sendto(tx.fd, "held", 4, 0, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  std::this_thread::sleep_for(100ms);
  pollfd p{rx.fd, POLLIN, 0};
  EXPECT_EQ(poll(&p, 1, 0), 0) << "held for 2 s";
  const auto t0 = Clock::now();
  line_.reset();
  int received = 0;
  char buf[16];
  while (received < 10 && poll(&p, 1, 200) > 0) received += recv(rx.fd, buf, sizeof buf, 0) > 0;
  EXPECT_EQ(received, 10) << "held packets are accepted on destruction";
  EXPECT_LT(Clock::now() - t0, 500ms);
  EXPECT_NEAR(rtt_ms(), baseline, tolerance(0)) << "queue bypass: no listener, no delay";
}

// Catches a removed queue that still delays, or one that cannot be served again.
TEST_F(DelayLineLab, RemoveThenTrafficFlowsUndelayed) {
  const double baseline = rtt_ms();
  add(delay(30ms));
  EXPECT_NEAR(rtt_ms() - baseline, 30.0, tolerance(30));
  line_->remove(kQueue);
  EXPECT_NEAR(rtt_ms(), baseline, tolerance(0));
  line_->add(kQueue, delay(10ms));
  EXPECT_NEAR(rtt_ms() - baseline, 10.0, tolerance(10)) << "the queue can be served again";
}

double process_cpu_ms() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

TEST_F(DelayLineLab, IdleLineSleeps) {
  add(delay(30ms));
  EXPECT_EQ(udp_blast(*lab_, 20, 1ms).size(), 20u);  // held, released, then nothing left to wait for
  const double before = process_cpu_ms();
  std::this_thread::sleep_for(1s);
  EXPECT_LT(process_cpu_ms() - before, 5.0) << "no busy waiting when idle";
}

TEST_F(DelayLineLab, QueueHeldByAnotherSocketIsAClearError) {
  add(Impairments{});
  auto other = make_line();
  try {
    other->add(kQueue, Impairments{});
    FAIL() << "a second binding of the same queue must fail";
  } catch (const std::runtime_error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("NFQUEUE 7"), std::string::npos) << what;
    EXPECT_NE(what.find("bound by another"), std::string::npos) << what;
  }
  EXPECT_EQ(udp_blast(*lab_, 20, 1ms).size(), 20u) << "the first binding still works";
}

}  // namespace
}  // namespace injector::testing

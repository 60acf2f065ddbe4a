// Fleet commands against a daemon minus the kernel: what `revert --op` and a
// held `link ... --for` say when there is nothing left to revert.

#include <gtest/gtest.h>

#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <fstream>

#include "tests/injector/served_daemon.h"

namespace {

using injector::testing::CliResult;
using injector::testing::run_cli;
using namespace std::chrono_literals;

class FleetCli : public injector::testing::TickingDaemon {
 protected:
  // Two datacenters, one host each, both served by this daemon.
  std::string inventory(const std::string& b_device = "eth0") {
    const std::string path = dir.file("inventory.yaml");
    std::ofstream(path) << "version: 1\ndatacenters:\n  - {name: a, cidrs: [10.98.0.0/16]}\n"
                        << "  - {name: b, cidrs: [10.99.0.0/16]}\nhosts:\n"
                        << "  - {name: a-1, datacenter: a, daemon: \"" << daemon() << "\", device: eth0, addresses: [10.98.0.11]}\n"
                        << "  - {name: b-1, datacenter: b, daemon: \"" << daemon() << "\", device: " << b_device << ", addresses: [10.99.0.11]}\n";
    return path;
  }
  std::size_t active() { return engine_list_size(); }
  std::size_t engine_list_size() {
    const CliResult r = fault({"list", "--output", "json"});
    return nlohmann::json::parse(r.out, nullptr, false).value("faults", nlohmann::json::array()).size();
  }
  // This fixture's daemon has eth0 only (the router's own question, not the test host's).
  injector::http::Response serve(const injector::http::Request& r) override { return one_device_router.handle(r); }
  injector::ApiRouter one_device_router{engine, [] {
    injector::ApiInfo info{1 << 20};
    info.device_exists = [](const std::string& name) { return name == "eth0"; };
    return info;
  }()};
};

// A mistyped operation id used to print "nothing to revert" on every host
// and exit 0 while the real faults stayed; single-host `fault revert` of an
// unknown id exits 5, and so does this now.
TEST_F(FleetCli, RevertOfAnUnknownOperationIsAnError) {
  const std::string inv = inventory();
  ASSERT_EQ(fault({"apply", "cut", "--dev", "eth0", "--peer", "10.99.0.0/16", "--label", "fleet.op=op-1a2b3c4d"}).rc, 0);
  const CliResult typo = run_cli({"revert", "--inventory", inv, "--op", "op-12345"});
  EXPECT_EQ(typo.rc, 5) << typo.out << typo.err;
  EXPECT_NE(typo.err.find("no host of " + inv + " holds a fault of operation op-12345"), std::string::npos) << typo.err;
  EXPECT_NE(typo.err.find("injector status --inventory"), std::string::npos) << typo.err;
  EXPECT_EQ(active(), 1u) << "the real fault stays";
  const CliResult real = run_cli({"revert", "--inventory", inv, "--op", "op-1a2b3c4d"});
  EXPECT_EQ(real.rc, 0) << real.out << real.err;
  EXPECT_EQ(active(), 0u);
  const CliResult all = run_cli({"revert", "--inventory", inv, "--all"});
  EXPECT_EQ(all.rc, 0) << "--all with nothing left is not an error: " << all.err;
}

// At the end of --for the daemons expire the faults themselves; the CLI says
// so instead of "nothing to revert", which read like a failure.
TEST_F(FleetCli, HeldLinkThatRunsOutReportsExpiredAsPlanned) {
  const CliResult r = run_cli({"link", "--inventory", inventory(), "--between", "a:b", "cut", "--for", "1s"});
  EXPECT_EQ(r.rc, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("time is up: reverting op-"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  a-1: expired as planned\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  b-1: expired as planned\n"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("nothing to revert"), std::string::npos) << r.out;
  EXPECT_EQ(active(), 0u);
}

// Issue 15: a host naming a device its daemon does not have passed the
// check and failed only at partition time.
TEST_F(FleetCli, InventoryCheckAsksEachDaemonForItsDevice) {
  const CliResult good = run_cli({"inventory", "check", inventory()});
  EXPECT_EQ(good.rc, 0) << good.out << good.err;
  const CliResult bad = run_cli({"inventory", "check", inventory("eth7")});
  EXPECT_EQ(bad.rc, 11) << bad.out << bad.err;
  EXPECT_NE(bad.out.find("a-1 " + daemon() + ": ok"), std::string::npos) << bad.out;
  EXPECT_NE(bad.out.find("b-1 " + daemon() + ": no device 'eth7'"), std::string::npos) << bad.out;
}

}  // namespace

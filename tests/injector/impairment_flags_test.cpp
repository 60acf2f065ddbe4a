#include "injector/impairment_flags.h"

#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "common/field_error.h"
#include "injector/cli.h"
#include "tests/daemon/fake_tc.h"
#include "tests/injector/served_daemon.h"
#include "tests/support/temp_dir.h"

namespace {

using injector::Distribution;
using injector::FieldError;
using injector::GilbertElliott;
using injector::Impairments;
using injector::cli::build_impairments;
using injector::cli::ImpairmentFlags;
using nlohmann::json;
using namespace std::chrono_literals;

// The flag build_impairments() names, or "(built)".
std::string flag_of(const ImpairmentFlags& f, const std::string& kind) {
  try {
    build_impairments(f, kind);
  } catch (const FieldError& e) {
    return e.field();
  }
  return "(built)";
}

TEST(ImpairmentFlags, DelayWithJitterDistributionCorrelation) {
  ImpairmentFlags f;
  f.delay = "30ms";
  f.jitter = "5ms";
  f.delay_correlation = "25%";
  f.distribution = "normal";
  const Impairments imp = build_impairments(f, "delay");
  ASSERT_TRUE(imp.delay);
  EXPECT_EQ(*imp.delay, (injector::DelayImpairment{30'000us, 5'000us, 25, Distribution::normal}));
  EXPECT_FALSE(imp.loss || imp.cut || imp.flap || imp.bandwidth);
  f = {};
  f.jitter = "5ms";  // jitter alone is a delay around zero
  EXPECT_EQ(build_impairments(f, "delay").delay->time, 0us);
}

TEST(ImpairmentFlags, LossAndGilbertElliott) {
  ImpairmentFlags f;
  f.loss = "1%";
  f.loss_correlation = "25";
  EXPECT_EQ(build_impairments(f, "loss").loss, (injector::LossImpairment{1, 25, std::nullopt}));
  f = {};
  f.gemodel = "1%";
  EXPECT_EQ(build_impairments(f, "loss").loss->gilbert_elliott, (GilbertElliott{1, 100, 100, 0}));
  f.gemodel = "1%,10%";
  EXPECT_EQ(build_impairments(f, "loss").loss->gilbert_elliott, (GilbertElliott{1, 10, 100, 0}));
  f.gemodel = "1%,10%,70%";
  EXPECT_EQ(build_impairments(f, "loss").loss->gilbert_elliott, (GilbertElliott{1, 10, 70, 0}));
  f.gemodel = "1%,10%,70%,0.1%";
  const Impairments imp = build_impairments(f, "loss");
  EXPECT_EQ(imp.loss->gilbert_elliott, (GilbertElliott{1, 10, 70, 0.1}));
  EXPECT_EQ(imp.loss->percent, 0);
  for (const char* bad : {"1%,10%,70%,0.1%,5%", "x", "1%,200%", "1%;10%"}) {
    f.gemodel = bad;
    EXPECT_EQ(flag_of(f, "loss"), "--gemodel") << bad;
  }
}

TEST(ImpairmentFlags, DuplicateCorruptReorder) {
  ImpairmentFlags f;
  f.duplicate = "2%";
  f.duplicate_correlation = "5%";
  f.corrupt = "0.5%";
  f.corrupt_correlation = "1";
  f.delay = "10ms";
  f.reorder = "25%";
  f.reorder_correlation = "50%";
  f.gap = "5";
  const Impairments imp = build_impairments(f, "reorder");
  EXPECT_EQ(imp.duplicate, (injector::ChanceImpairment{2, 5}));
  EXPECT_EQ(imp.corrupt, (injector::ChanceImpairment{0.5, 1}));
  EXPECT_EQ(imp.reorder, (injector::ReorderImpairment{25, 50, 5}));
  EXPECT_EQ(imp.delay->time, 10ms);
}

TEST(ImpairmentFlags, BandwidthAndFlap) {
  ImpairmentFlags f;
  f.rate = "10mbit";
  f.burst = "32kb";
  EXPECT_EQ(build_impairments(f, "bandwidth").bandwidth, (injector::BandwidthImpairment{10'000'000, 32'768}));
  f = {};
  f.period = "2s";
  f.down = "30%";
  f.flap_jitter = "100ms";
  EXPECT_EQ(build_impairments(f, "flap").flap, (injector::FlapImpairment{2000ms, 30, 100ms}));
  f.down.clear();
  f.flap_jitter.clear();
  EXPECT_EQ(build_impairments(f, "flap").flap, (injector::FlapImpairment{2000ms, 50, 0ms}));
}

TEST(ImpairmentFlags, CutAndUpdateKinds) {
  EXPECT_TRUE(build_impairments({}, "cut").cut);
  EXPECT_TRUE(build_impairments({}, "").empty());  // update: no kind, nothing required here
  ImpairmentFlags f;
  f.delay = "200ms";
  const Impairments imp = build_impairments(f, "");
  EXPECT_FALSE(imp.cut);
  EXPECT_EQ(imp.delay->time, 200ms);
}

TEST(ImpairmentFlags, EachKindRequiresItsFlag) {
  const std::pair<const char*, const char*> required[] = {
      {"delay", "--delay"},     {"loss", "--loss"},       {"duplicate", "--duplicate"}, {"corrupt", "--corrupt"},
      {"reorder", "--reorder"}, {"bandwidth", "--rate"}, {"flap", "--period"}};
  ImpairmentFlags other;
  other.rate = "1mbit";  // present, but not the kind's own flag (except bandwidth's)
  for (const auto& [kind, flag] : required) {
    EXPECT_EQ(flag_of({}, kind), flag) << kind;
    if (std::string(kind) != "bandwidth") {
      EXPECT_EQ(flag_of(other, kind), flag) << kind;
    }
  }
}

TEST(ImpairmentFlags, BadValuesNameTheFlag) {
  const std::pair<std::string ImpairmentFlags::*, const char*> flags[] = {
      {&ImpairmentFlags::delay, "--delay"},
      {&ImpairmentFlags::jitter, "--jitter"},
      {&ImpairmentFlags::loss, "--loss"},
      {&ImpairmentFlags::duplicate, "--duplicate"},
      {&ImpairmentFlags::corrupt, "--corrupt"},
      {&ImpairmentFlags::reorder, "--reorder"},
      {&ImpairmentFlags::rate, "--rate"},
      {&ImpairmentFlags::period, "--period"}};
  for (const auto& [member, flag] : flags) {
    for (const char* bad : {"x", "-5", "101%%"}) {
      ImpairmentFlags f;
      f.*member = bad;
      EXPECT_EQ(flag_of(f, ""), flag) << flag << " " << bad;
    }
  }
  // Companion flags, each with its main flag set.
  auto with = [](std::string ImpairmentFlags::*main, const char* main_value, std::string ImpairmentFlags::*member,
                 const char* bad) {
    ImpairmentFlags f;
    f.*main = main_value;
    f.*member = bad;
    return flag_of(f, "");
  };
  EXPECT_EQ(with(&ImpairmentFlags::delay, "1ms", &ImpairmentFlags::delay_correlation, "150%"), "--delay-correlation");
  EXPECT_EQ(with(&ImpairmentFlags::loss, "1%", &ImpairmentFlags::loss_correlation, "x"), "--loss-correlation");
  EXPECT_EQ(with(&ImpairmentFlags::duplicate, "1%", &ImpairmentFlags::duplicate_correlation, "-1%"),
            "--duplicate-correlation");
  EXPECT_EQ(with(&ImpairmentFlags::corrupt, "1%", &ImpairmentFlags::corrupt_correlation, "2x"),
            "--corrupt-correlation");
  EXPECT_EQ(with(&ImpairmentFlags::reorder, "1%", &ImpairmentFlags::reorder_correlation, "101"),
            "--reorder-correlation");
  EXPECT_EQ(with(&ImpairmentFlags::rate, "1mbit", &ImpairmentFlags::burst, "2gb"), "--burst");
  EXPECT_EQ(with(&ImpairmentFlags::period, "1s", &ImpairmentFlags::down, "150%"), "--down");
  EXPECT_EQ(with(&ImpairmentFlags::period, "1s", &ImpairmentFlags::flap_jitter, "soon"), "--flap-jitter");
  EXPECT_EQ(with(&ImpairmentFlags::rate, "10mbps", &ImpairmentFlags::burst, ""), "--rate");
  EXPECT_EQ(with(&ImpairmentFlags::reorder, "1%", &ImpairmentFlags::gap, "x"), "--gap");
}

// The header promises a FieldError naming the flag; a distribution names the JSON field instead.
TEST(ImpairmentFlags, BadDistributionNamesTheFlag) {
  ImpairmentFlags f;
  f.delay = "30ms";
  f.jitter = "5ms";
  f.distribution = "gaussian";
  EXPECT_EQ(flag_of(f, "delay"), "--distribution");
}

// std::stoul takes "-1" as ULONG_MAX, "5x" as 5, and throws std::out_of_range past 2^64.
TEST(ImpairmentFlags, GapMustBeAPlainNonNegativeNumber) {
  for (const char* bad : {"-1", "5x", "99999999999", "99999999999999999999999"}) {
    ImpairmentFlags f;
    f.delay = "10ms";
    f.reorder = "5%";
    f.gap = bad;
    try {
      const Impairments imp = build_impairments(f, "reorder");
      ADD_FAILURE() << "--gap " << bad << " accepted as " << imp.reorder->gap;
    } catch (const FieldError& e) {
      EXPECT_EQ(e.field(), "--gap") << bad;
    } catch (const std::exception& e) {
      ADD_FAILURE() << "--gap " << bad << ": not a FieldError: " << e.what();
    }
  }
}

using injector::testing::CliResult;

class ImpairmentCliEndToEnd : public injector::testing::ServedDaemon {
 protected:
  json as_json(const CliResult& r) {
    const json j = json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.out << r.err;
    return j;
  }

};


TEST_F(ImpairmentCliEndToEnd, ApplyDelayWithLossThenUpdate) {
  CliResult r = fault({"apply", "--output", "json", "delay", "--dev", "eth0", "--to", "10.0.0.0/8", "--delay", "30ms",
                       "--loss", "1%"});
  ASSERT_EQ(r.rc, 0) << r.err;
  json j = as_json(r);
  const std::string id = j.value("id", "");
  EXPECT_EQ(j["spec"]["impairments"]["delay"]["time_us"], 30000);
  EXPECT_EQ(j["spec"]["impairments"]["loss"]["percent"], 1.0);
  EXPECT_EQ(j["kernel"]["leaf_kind"], "netem");
  EXPECT_EQ(tc.count("install_fault"), 1u);

  r = fault({"update", id, "--delay", "200ms", "--output", "json"});
  ASSERT_EQ(r.rc, 0) << r.err;
  j = as_json(r);
  EXPECT_EQ(j["id"], id);
  EXPECT_EQ(j["spec"]["impairments"]["delay"]["time_us"], 200000);
  EXPECT_FALSE(j["spec"]["impairments"].contains("loss"));  // the update gives the whole new set
  EXPECT_EQ(tc.count("change_fault"), 1u);
  EXPECT_EQ(tc.count("install_fault"), 1u);
  EXPECT_EQ(tc.plans.at({2, 1}).netem.delay, 200ms);
  EXPECT_EQ(tc.plans.at({2, 1}).netem.loss, 0u);

  r = fault({"update", id, "--delay", "50ms", "--for", "1h", "--output", "json"});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(as_json(r)["spec"]["lifetime"]["duration_ms"], 3'600'000);
  EXPECT_GT(as_json(r)["expires_in_ms"].get<std::int64_t>(), 3'500'000);

  r = fault({"update", id, "--delay", "50ms"});  // text output
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find(id), std::string::npos) << r.out;
}

TEST_F(ImpairmentCliEndToEnd, UpdateErrors) {
  CliResult r = fault({"update", "f-000000000000", "--delay", "50ms"});
  EXPECT_EQ(r.rc, 5) << r.err;
  r = fault({"update", "f-000000000000", "--delay", "50"});  // bad unit: nothing sent
  EXPECT_EQ(r.rc, 2) << r.err;
  EXPECT_NE(r.err.find("--delay"), std::string::npos) << r.err;
  EXPECT_EQ(tc.count("change_fault"), 0u);
}

TEST_F(ImpairmentCliEndToEnd, MissingKindFlagIs2) {
  const CliResult r = fault({"apply", "bandwidth", "--dev", "eth0", "--to", "10.0.0.0/8", "--burst", "32kb"});
  EXPECT_EQ(r.rc, 2) << r.err;
  EXPECT_NE(r.err.find("--rate"), std::string::npos) << r.err;
  EXPECT_TRUE(tc.calls.empty());
}

TEST_F(ImpairmentCliEndToEnd, PortsWithoutProtocolIs2) {
  CliResult r = fault({"apply", "cut", "--dev", "eth0", "--to", "10.0.0.0/8", "--dport", "443"});
  EXPECT_EQ(r.rc, 2) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
  EXPECT_NE(r.err.find("dport"), std::string::npos) << r.err;
  EXPECT_TRUE(tc.calls.empty());  // nothing was sent
  r = fault({"apply", "cut", "--dev", "eth0", "--to", "10.0.0.0/8", "--dport", "443", "--proto", "tcp"});
  EXPECT_EQ(r.rc, 0) << r.err;
  r = fault({"apply", "cut", "--dev", "eth0", "--to", "10.0.0.0/8", "--dport", "x", "--proto", "tcp"});
  EXPECT_EQ(r.rc, 2) << r.err;
  EXPECT_NE(r.err.find("--dport"), std::string::npos) << r.err;
}

TEST_F(ImpairmentCliEndToEnd, FlapApply) {
  const CliResult r = fault({"apply", "--output", "json", "flap", "--dev", "eth0", "--to", "10.0.0.0/8", "--period",
                             "1s", "--down", "30%"});
  ASSERT_EQ(r.rc, 0) << r.err;
  const json j = as_json(r);
  EXPECT_EQ(j["spec"]["impairments"]["flap"]["period_ms"], 1000);
  EXPECT_EQ(j["flap"]["link"], "down");
  EXPECT_EQ(j["kernel"]["leaf_kind"], "blackhole");
}

}  // namespace

// The stored configuration, the flags that make it, and the key layout.
#include "config.h"

#include <gtest/gtest.h>

#include "etcd_client.h"
#include "service_http.h"

namespace payments {
namespace {

TEST(PayConfig, HomesUnitsRoundRobinAndRoundTrips) {
  PayConfig c = make_config(12, {"hz", "sh", "sz"}, parse_takeover("hz=sh,sh=sz,sz=hz"), "CNY", 10000, 100000);
  EXPECT_EQ(c.home[0], "hz");
  EXPECT_EQ(c.home[1], "sh");
  EXPECT_EQ(c.home[11], "sz");
  EXPECT_EQ(c.total_minor, 1000000000);
  EXPECT_EQ(c.unit_of(25), 1);
  EXPECT_EQ(c.takeover_of("sz"), "hz");
  EXPECT_EQ(c.takeover_of("nowhere"), "");
  PayConfig back = config_from_json(config_to_json(c));
  EXPECT_EQ(back.home, c.home);
  EXPECT_EQ(back.takeover, c.takeover);
  EXPECT_EQ(back.total_minor, c.total_minor);
  EXPECT_EQ(back.balance_minor, 100000);
}

TEST(PayConfig, RefusesInconsistentConfigs) {
  EXPECT_THROW(make_config(0, {"hz"}, {}, "CNY", 10, 1), std::invalid_argument);
  EXPECT_THROW(make_config(3, {"hz", "hz"}, {}, "CNY", 10, 1), std::invalid_argument);
  EXPECT_THROW(make_config(3, {"hz", "sh"}, {{"hz", "xx"}}, "CNY", 10, 1), std::invalid_argument);
  EXPECT_THROW(make_config(3, {"hz", "sh"}, {{"hz", "hz"}}, "CNY", 10, 1), std::invalid_argument);
  EXPECT_THROW(make_config(3, {"hz", "sh"}, {}, "YUAN", 10, 1), std::invalid_argument);
  auto j = config_to_json(make_config(3, {"hz", "sh"}, {}, "CNY", 10, 1));
  j["total_minor"] = 11;  // not accounts * balance
  EXPECT_THROW(config_from_json(j), std::invalid_argument);
  j = config_to_json(make_config(3, {"hz", "sh"}, {}, "CNY", 10, 1));
  j["home"] = {"hz", "sh"};  // one unit short
  EXPECT_THROW(config_from_json(j), std::invalid_argument);
  j.erase("units");
  EXPECT_THROW(config_from_json(j), std::invalid_argument);
}

TEST(PayConfig, FlagParsers) {
  EXPECT_EQ(parse_takeover("a=b").at("a"), "b");
  EXPECT_THROW(parse_takeover("a"), std::invalid_argument);
  EXPECT_THROW(parse_takeover("a=b,a=c"), std::invalid_argument);
  EXPECT_THROW(parse_takeover("A=b"), std::invalid_argument);
  EXPECT_EQ(parse_datacenters("hz,sh").size(), 2u);
  EXPECT_THROW(parse_datacenters("hz,,sh"), std::invalid_argument);
  EXPECT_EQ(parse_endpoints("http://a:1,http://b:2/").at(1), "http://b:2");
  EXPECT_THROW(parse_endpoints("a:1"), std::invalid_argument);
  EXPECT_EQ(parse_listen("10.0.0.1:8080").second, 8080);
  EXPECT_THROW(parse_listen("10.0.0.1"), std::invalid_argument);
  EXPECT_THROW(parse_listen("10.0.0.1:99999"), std::invalid_argument);
}

TEST(PayConfig, KeyLayout) {
  EXPECT_EQ(account_key(42), "/pay/acct/00000042");
  EXPECT_EQ(account_from_key("/pay/acct/00000042"), 42);
  EXPECT_EQ(account_from_key("/pay/acct/x"), -1);
  EXPECT_EQ(unit_owner_key(7), "/pay/unit/07/owner");
  EXPECT_EQ(unit_from_owner_key("/pay/unit/07/owner"), 7);
  EXPECT_EQ(unit_from_owner_key("/pay/unit/07/other"), -1);
  EXPECT_EQ(owner_dc(R"({"dc":"sh"})"), "sh");
  EXPECT_EQ(owner_dc("garbage"), "?");
}

}  // namespace
}  // namespace payments

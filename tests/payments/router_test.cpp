// The router's pure parts: its unit map never goes back in time, and its flags.
#include "router.h"

#include <gtest/gtest.h>

#include "unit_map.h"

namespace payments {
namespace {

RangeResult owners_at(int64_t revision, std::vector<std::pair<int, std::string>> owners) {
  RangeResult r;
  r.revision = revision;
  for (auto& [u, dc] : owners) r.kvs.push_back(KeyValue{unit_owner_key(u), "{\"dc\":\"" + dc + "\"}", 1, revision, 1, 0});
  return r;
}

TEST(UnitMap, NewerAnswersWinAndOlderOnesAreIgnored) {
  UnitMap map({"http://127.0.0.1:1"}, std::chrono::milliseconds(100), 3);
  EXPECT_EQ(map.owner(0), "");
  map.update(owners_at(10, {{0, "hz"}, {1, "sh"}}));
  EXPECT_EQ(map.owner(0), "hz");
  EXPECT_EQ(map.owner(2), "");
  // A member that lags (or was cut off) answers from an older revision.
  map.update(owners_at(9, {{0, "sh"}}));
  EXPECT_EQ(map.owner(0), "hz");
  EXPECT_EQ(map.revision(), 10);
  // A lapse: the key is gone at a newer revision.
  map.update(owners_at(12, {{1, "sh"}}));
  EXPECT_EQ(map.owner(0), "");
  EXPECT_EQ(map.owner(1), "sh");
  EXPECT_EQ(map.owner(7), "");  // out of range
}

TEST(Router, ServiceFlag) {
  auto [dc, url] = parse_service("hz=http://10.77.1.11:8080/");
  EXPECT_EQ(dc, "hz");
  EXPECT_EQ(url, "http://10.77.1.11:8080");
  EXPECT_THROW(parse_service("hz"), std::invalid_argument);
  EXPECT_THROW(parse_service("=http://a:1"), std::invalid_argument);
  EXPECT_THROW(parse_service("hz=10.77.1.11:8080"), std::invalid_argument);
}

}  // namespace
}  // namespace payments

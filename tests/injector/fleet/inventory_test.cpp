#include "injector/fleet/inventory.h"

#include <gtest/gtest.h>

#include <string>

#include "common/field_error.h"

namespace {

using injector::FieldError;
using injector::fleet::parse_inventory;

constexpr const char* kLab = R"(
version: 1
datacenters:
  - name: hz
    cidrs: [10.77.1.0/24, "fd77:0:1::/64"]
  - name: sh
    cidrs: [10.77.2.0/24]
hosts:
  - name: hz-1
    datacenter: hz
    daemon: unix:/run/x/hz-1.sock
    device: eth0
    addresses: [10.77.1.11, "fd77:0:1::11"]
    netns: x-hz-1
  - name: sh-1
    datacenter: sh
    daemon: unix:/run/x/sh-1.sock
    device: eth0
    addresses: [10.77.2.11]
)";

// The field a bad inventory is refused for.
std::string refused_field(const std::string& yaml) {
  try {
    parse_inventory(yaml);
  } catch (const FieldError& e) {
    return e.field();
  }
  return "(accepted)";
}

std::string replaced(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return text.replace(at, from.size(), to);
}

TEST(Inventory, ReadsTheLabFormat) {
  const auto inv = parse_inventory(kLab);
  ASSERT_EQ(inv.datacenters.size(), 2u);
  EXPECT_EQ(inv.datacenters[0].cidrs.size(), 2u);
  ASSERT_EQ(inv.hosts.size(), 2u);
  EXPECT_EQ(inv.hosts[0].netns, "x-hz-1");
  EXPECT_EQ(inv.hosts[1].addresses[0].to_string(), "10.77.2.11/32");
  EXPECT_EQ(inv.hosts_in("hz").size(), 1u);
  EXPECT_EQ(inv.datacenter("sz"), nullptr);
  EXPECT_FALSE(inv.hosts[0].tls.has_value());
}

TEST(Inventory, RefusesWhatIsWrongNamingTheField) {
  const std::string lab = kLab;
  EXPECT_EQ(refused_field(replaced(lab, "version: 1", "version: 2")), "version");
  EXPECT_EQ(refused_field(replaced(lab, "datacenter: sh", "datacenter: sz")), "hosts[1].datacenter");
  EXPECT_EQ(refused_field(replaced(lab, "[10.77.2.11]", "[10.77.9.11]")), "hosts[1].addresses[0]");
  EXPECT_EQ(refused_field(replaced(lab, "cidrs: [10.77.2.0/24]", "cidrs: [10.77.0.0/16]")), "datacenters[1].cidrs");
  EXPECT_EQ(refused_field(replaced(lab, "name: sh-1", "name: hz-1")), "hosts[1].name");
  EXPECT_EQ(refused_field(replaced(lab, "name: sh\n", "name: hz\n")), "datacenters[1].name");
  EXPECT_EQ(refused_field(replaced(lab, "unix:/run/x/sh-1.sock", "tcp://x")), "hosts[1].daemon");
  EXPECT_EQ(refused_field(replaced(lab, "    netns: x-hz-1", "    colour: blue")), "hosts[0].colour");
  EXPECT_EQ(refused_field(replaced(lab, "device: eth0\n    addresses: [10.77.2.11]", "device: a-very-long-ifname0\n    addresses: [10.77.2.11]")),
            "hosts[1].device");
  EXPECT_EQ(refused_field(replaced(lab, "[10.77.2.11]", "[10.77.2.0/24]")), "hosts[1].addresses[0]");
  EXPECT_EQ(refused_field(replaced(lab, "    cidrs: [10.77.2.0/24]\n", "")), "datacenters[1].cidrs");
  EXPECT_EQ(refused_field("version: 1\ndatacenters: [\n"), "inventory");
}

TEST(Inventory, TlsDefaultsApplyToEveryHostAndResolveAgainstTheFile) {
  const std::string yaml = std::string(kLab) + "tls: {cert: c.pem, key: k.pem, ca: /etc/ca.pem}\n";
  const auto inv = parse_inventory(yaml, "/srv/fleet");
  ASSERT_TRUE(inv.hosts[1].tls.has_value());
  EXPECT_EQ(inv.hosts[1].tls->cert, "/srv/fleet/c.pem");
  EXPECT_EQ(inv.hosts[1].tls->ca, "/etc/ca.pem");
  EXPECT_EQ(refused_field(std::string(kLab) + "tls: {cert: c.pem, key: k.pem}\n"), "tls.ca");
}

}  // namespace

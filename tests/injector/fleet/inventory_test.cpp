#include "injector/fleet/inventory.h"

#include <gtest/gtest.h>

#include <string>

#include "common/field_error.h"

namespace {

std::string replaced_once(std::string text, const std::string& from, const std::string& to) {
  return text.replace(text.find(from), from.size(), to);
}

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

// The lab with payments (scripts/lab up --payments): version 2 with services.
const std::string kPayments = replaced_once(kLab, "version: 1", "version: 2") + R"(
services:
  - name: payments-api
    kind: payments-api
    url: http://10.77.4.11:8080
    host: sh-1
  - name: payments-hz
    kind: payments
    url: http://10.77.1.11:8080
    host: hz-1
  - name: etcd-hz
    kind: etcd
    url: "http://[fd77:0:1::11]:2379/"
    host: hz-1
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

// The whole error (field, what was wrong, what is allowed) a bad inventory is refused with.
std::string refusal(const std::string& yaml) {
  try {
    parse_inventory(yaml);
  } catch (const FieldError& e) {
    return e.what();
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
  EXPECT_EQ(refused_field(replaced(lab, "version: 1", "version: 3")), "version");
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

namespace {

TEST(InventoryServices, Version2ListsTheServicesWithTheirHosts) {
  const auto inv = parse_inventory(kPayments);
  EXPECT_EQ(inv.version, 2);
  ASSERT_EQ(inv.services.size(), 3u);
  EXPECT_EQ(inv.services[0].name, "payments-api");
  EXPECT_EQ(inv.services[0].url, "http://10.77.4.11:8080");
  EXPECT_EQ(inv.services[0].host, "sh-1");
  ASSERT_EQ(inv.services_of("payments-api").size(), 1u);
  EXPECT_EQ(inv.host(inv.services_of("payments-api")[0]->host)->datacenter, "sh");
  ASSERT_EQ(inv.services_of("etcd").size(), 1u);
  EXPECT_EQ(inv.services_of("etcd")[0]->url, "http://[fd77:0:1::11]:2379/");
  EXPECT_TRUE(inv.services_of("nothing").empty());
  // Everything version 1 has still means the same in version 2.
  EXPECT_EQ(inv.hosts.size(), 2u);
  EXPECT_EQ(inv.hosts[0].netns, "x-hz-1");
}

TEST(InventoryServices, Version1StillParsesWithNoServicesAndVersion2NeedsNone) {
  const auto v1 = parse_inventory(kLab);
  EXPECT_EQ(v1.version, 1);
  EXPECT_TRUE(v1.services.empty());
  const auto v2 = parse_inventory(replaced(kLab, "version: 1", "version: 2"));
  EXPECT_EQ(v2.version, 2);
  EXPECT_TRUE(v2.services.empty());
  EXPECT_TRUE(parse_inventory(replaced(kLab, "version: 1", "version: 2") + "services: []\n").services.empty());
}

TEST(InventoryServices, Version1WithServicesIsRefused) {
  const std::string v1 = replaced(kPayments, "version: 2", "version: 1");
  EXPECT_EQ(refused_field(v1), "services");
  EXPECT_NE(refusal(v1).find("needs version 2"), std::string::npos) << refusal(v1);
}

TEST(InventoryServices, RefusesABadServiceNamingTheFieldAndWhatIsAllowed) {
  const std::string p = kPayments;
  struct Case {
    std::string from, to, field, allowed;
  };
  const Case cases[] = {
      {"kind: payments\n", "kind: ledger\n", "services[1].kind", "payments-api, payments, etcd"},
      {"url: http://10.77.1.11:8080", "url: ftp://10.77.1.11:8080", "services[1].url", "http:// or https://"},
      {"url: http://10.77.1.11:8080", "url: http://10.77.1.11", "services[1].url", "a port 1-65535"},
      {"url: http://10.77.1.11:8080", "url: http://10.77.1.11:70000", "services[1].url", "a port 1-65535"},
      {"url: http://10.77.1.11:8080", "url: 10.77.1.11:8080", "services[1].url", "for example http://10.77.4.11:8080"},
      {"host: hz-1\n  - name: etcd-hz", "host: hz-9\n  - name: etcd-hz", "services[1].host", "one of the names under hosts"},
      {"name: etcd-hz", "name: payments-hz", "services[2].name", ""},
      {"name: payments-hz", "name: Payments_HZ", "services[1].name", "[a-z0-9][a-z0-9-]*"},
      {"    host: sh-1\n", "    host: sh-1\n    port: 80\n", "services[0].port", "see docs/inventory.md"},
      {"    host: sh-1\n", "", "services[0].host", ""},
  };
  for (const auto& c : cases) {
    const std::string yaml = replaced(p, c.from, c.to);
    EXPECT_EQ(refused_field(yaml), c.field) << c.to;
    EXPECT_NE(refusal(yaml).find(c.allowed), std::string::npos) << refusal(yaml);
  }
  EXPECT_EQ(refused_field(replaced(p, "services:\n", "services: {a: 1}\nx:\n")), "services");
}

}  // namespace

namespace {

// Issue 15: `cidr:` for `cidrs:` said only "cidrs is required"; the message
// now names the unknown key found in its place.
TEST(Inventory, MissingRequiredFieldNamesTheMisspeltKey) {
  try {
    parse_inventory(replaced_once(kLab, "    cidrs: [10.77.2.0/24]", "    cidr: [10.77.2.0/24]"));
    FAIL() << "accepted an inventory without cidrs";
  } catch (const FieldError& e) {
    EXPECT_EQ(e.field(), "datacenters[1].cidrs");
    EXPECT_NE(e.message().find("unknown field(s) cidr"), std::string::npos) << e.what();
  }
  try {
    parse_inventory(replaced_once(kLab, "    device: eth0\n    addresses: [10.77.2.11]", "    dev: eth0\n    addresses: [10.77.2.11]"));
    FAIL() << "accepted a host without device";
  } catch (const FieldError& e) {
    EXPECT_EQ(e.field(), "hosts[1].device");
    EXPECT_NE(e.message().find("unknown field(s) dev "), std::string::npos) << e.what();
    EXPECT_EQ(e.message().find("addresses"), std::string::npos) << "a valid key read later is not unknown: " << e.what();
  }
}

}  // namespace

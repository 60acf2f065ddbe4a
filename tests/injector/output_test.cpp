// `fault list`: what each fault matches, in columns that stay apart.

#include "injector/output.h"

#include <gtest/gtest.h>

#include <sstream>
#include <vector>

namespace injector::cli {
namespace {

using nlohmann::json;

json fault(const std::string& id, const json& impairments, const json& match, const std::string& direction) {
  return {{"id", id},
          {"spec", {{"device", "eth0"}, {"direction", direction}, {"match", match}, {"impairments", impairments}}},
          {"expires_in_ms", 60'000},
          {"counters", {{"packets_dropped", 7}}},
          {"created_by", "uid:0"}};
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

// The cell of `line` in the column whose header starts at `header.find(name)`.
std::string cell(const std::string& header, const std::string& line, const std::string& name) {
  const auto at = header.find(name);
  EXPECT_NE(at, std::string::npos) << name;
  EXPECT_TRUE(at == 0 || line.substr(at - 2, 2) == "  ") << "column " << name << " runs into the one before:\n"
                                                       << header << "\n" << line;
  const auto end = line.find("  ", at);
  return line.substr(at, end == std::string::npos ? std::string::npos : end - at);
}

TEST(FaultTable, ShowsDirectionBothSidesProtocolAndPortsInTheirOwnColumns) {
  const json faults = json::array(
      {fault("f-000000000001", {{"bandwidth", json::object()}, {"delay", json::object()}, {"loss", json::object()}},
             {{"peer", {"10.77.3.0/24", "fd77:0:3::/64", "10.77.4.0/24"}}, {"local", json::array()},
              {"protocol", "any"}},
             "both"),
       fault("f-000000000002", {{"cut", json::object()}},
             {{"peer", {"10.77.3.0/24"}}, {"local", {"10.77.1.5/32"}}, {"protocol", "tcp"}, {"dport", "443"}},
             "ingress"),
       // A daemon from before peer/local answers with to/from.
       fault("f-000000000003", {{"cut", json::object()}}, {{"to", {"10.9.0.0/16"}}, {"from", json::array()}},
             "egress")});
  std::ostringstream out;
  print_fault_table(faults, out);
  const auto l = lines(out.str());
  ASSERT_EQ(l.size(), 4u) << out.str();
  const std::string& h = l[0];
  EXPECT_EQ(cell(h, l[1], "KIND"), "bandwidth+delay+loss");
  EXPECT_EQ(cell(h, l[1], "DIRECTION"), "both");
  EXPECT_EQ(cell(h, l[1], "PEER"), "10.77.3.0/24,fd77:0:3::/64,... (3 in all)");
  EXPECT_EQ(cell(h, l[1], "LOCAL"), "-");
  EXPECT_EQ(cell(h, l[1], "PORTS"), "-");
  EXPECT_EQ(cell(h, l[1], "EXPIRES"), "60s") << "the column after a long PEER cell starts where its header does";
  EXPECT_EQ(cell(h, l[2], "KIND"), "cut");
  EXPECT_EQ(cell(h, l[2], "DIRECTION"), "ingress");
  EXPECT_EQ(cell(h, l[2], "LOCAL"), "10.77.1.5/32");
  EXPECT_EQ(cell(h, l[2], "PROTO"), "tcp");
  EXPECT_EQ(cell(h, l[2], "PORTS"), "dport 443") << "a tcp:443 cut does not look like a whole-network one";
  EXPECT_EQ(cell(h, l[2], "DROPPED"), "7");
  EXPECT_EQ(cell(h, l[3], "PEER"), "10.9.0.0/16");
  EXPECT_EQ(cell(h, l[3], "PROTO"), "any");
}

TEST(FaultTable, NoFaults) {
  std::ostringstream out;
  print_fault_table(json::array(), out);
  EXPECT_EQ(out.str(), "no active faults\n");
}

}  // namespace
}  // namespace injector::cli

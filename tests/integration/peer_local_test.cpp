// --peer / --local (API match.peer / match.local) name the sides from this
// host whatever the direction; --to / --from (to / from) keep their v1
// meaning. Measured on real traffic in the three-site lab: the daemon runs in
// site a (10.231.1.2, fd31:1::2); every "nothing arrived" sits beside a
// control on the same path that must deliver everything.

#include "integration/daemon_fixture.h"

namespace injector::testing {
namespace {

using nlohmann::json;

constexpr int kCount = 10;

class PeerLocal : public DaemonInLab {
 protected:
  CommandResult apply(const std::string& direction, std::vector<std::string> match) const {
    std::vector<std::string> args{INJECTOR_BIN, "fault", "apply", "--daemon", endpoint(), "cut", "--dev", "eth0",
                                  "--direction", direction};
    args.insert(args.end(), match.begin(), match.end());
    auto r = run_command(args);
    EXPECT_EQ(r.status, 0) << r.out;
    return r;
  }
  void revert_all() const { ASSERT_EQ(api("DELETE", "/v1/faults").status, 200); }

  // What site `peer` sends to a (v4) is dropped; the same from site c arrives.
  ::testing::AssertionResult arriving_from_cut(char peer) const {
    return nothing_delivered([&] { return udp(peer, 'a', false, kCount); }, [&] { return udp('c', 'a', false, kCount); },
                             kCount);
  }
  // What a sends to site `peer` (v4) is dropped; the same to site c arrives.
  ::testing::AssertionResult leaving_to_cut(char peer) const { return udp_none('a', peer, false, 'c', false, kCount); }
};

const std::string kANet = ThreeSiteLab::v4('a') + "/32";

TEST_F(PeerLocal, PeerNamesTheRemoteSideInEveryDirection) {
  apply("egress", {"--peer", ThreeSiteLab::v4_net('b')});
  EXPECT_TRUE(leaving_to_cut('b'));
  revert_all();
  apply("ingress", {"--peer", ThreeSiteLab::v4_net('b')});
  EXPECT_TRUE(arriving_from_cut('b')) << "--peer on ingress is the sender";
  revert_all();
  apply("both", {"--peer", ThreeSiteLab::v4_net('b')});
  EXPECT_TRUE(arriving_from_cut('b'));
  EXPECT_TRUE(leaving_to_cut('b'));
  revert_all();
  EXPECT_EQ(udp('b', 'a', false, kCount), kCount);
  EXPECT_EQ(lab_->tc_snapshot('a'), baseline_);
}

// a's own IPv4 address as the local side: every IPv4 packet a sends (egress)
// or receives (ingress) matches; IPv6 on the same link is the control.
TEST_F(PeerLocal, LocalNamesThisHostInEveryDirection) {
  const auto v4_then_v6 = [&](char from, char to) {
    return nothing_delivered([&] { return udp(from, to, false, kCount); }, [&] { return udp(from, to, true, kCount); },
                             kCount);
  };
  apply("egress", {"--local", kANet});
  EXPECT_TRUE(v4_then_v6('a', 'b')) << "egress: a's IPv4 source";
  revert_all();
  apply("ingress", {"--local", kANet});
  EXPECT_TRUE(v4_then_v6('b', 'a')) << "ingress: a's IPv4 as destination";
  revert_all();
  apply("both", {"--local", kANet, "--peer", ThreeSiteLab::v4_net('b')});
  EXPECT_TRUE(arriving_from_cut('b'));
  EXPECT_TRUE(leaving_to_cut('b'));
  revert_all();
  EXPECT_EQ(lab_->tc_snapshot('a'), baseline_);
}

// The trap: on ingress, --from B reads as "what B sends me", but it
// names the local side, so it matches nothing; a note says so. --to keeps
// meaning the peer, and --from with a's own address cuts what a receives.
TEST_F(PeerLocal, OldSpellingsKeepTheirDocumentedMeaning) {
  const auto to = apply("ingress", {"--to", ThreeSiteLab::v4_net('b')});
  EXPECT_EQ(to.out.find("note:"), std::string::npos) << to.out;
  EXPECT_TRUE(arriving_from_cut('b')) << "--to is --peer";
  revert_all();

  const auto from_peer = apply("ingress", {"--from", ThreeSiteLab::v4('b') + "/32"});
  EXPECT_NE(from_peer.out.find("--from names the local side"), std::string::npos) << from_peer.out;
  EXPECT_NE(from_peer.out.find("--peer"), std::string::npos) << from_peer.out;
  EXPECT_EQ(udp('b', 'a', false, kCount), kCount) << "--from on ingress is a's side, so b's address matches nothing";
  revert_all();

  apply("ingress", {"--from", kANet});
  EXPECT_TRUE(nothing_delivered([&] { return udp('b', 'a', false, kCount); },
                                [&] { return udp('b', 'a', true, kCount); }, kCount));
  revert_all();
  const auto egress = apply("egress", {"--from", kANet});
  EXPECT_EQ(egress.out.find("note:"), std::string::npos) << "on egress --from is the sender: " << egress.out;
  revert_all();
}

TEST_F(PeerLocal, ApiPeerAndLocalAndTheirV1Aliases) {
  const auto post = [&](const json& match, const std::string& direction) {
    json body = {{"device", "eth0"}, {"direction", direction}, {"match", match},
                 {"impairments", {{"cut", json::object()}}}};
    auto a = api("POST", "/v1/faults", body.dump());
    EXPECT_EQ(a.status, 201) << a.body.dump();
    return a.body;
  };
  const json peer = post({{"peer", {ThreeSiteLab::v4_net('b')}}}, "ingress");
  EXPECT_EQ(peer["spec"]["match"]["peer"], json::array({ThreeSiteLab::v4_net('b')})) << peer.dump();
  EXPECT_TRUE(arriving_from_cut('b'));
  revert_all();
  post({{"to", {ThreeSiteLab::v4_net('b')}}}, "ingress");
  EXPECT_TRUE(arriving_from_cut('b')) << "to is peer";
  revert_all();
  const json local = post({{"local", {kANet}}}, "egress");
  EXPECT_EQ(local["spec"]["match"]["local"], json::array({kANet})) << local.dump();
  EXPECT_TRUE(nothing_delivered([&] { return udp('a', 'b', false, kCount); },
                                [&] { return udp('a', 'b', true, kCount); }, kCount));
  revert_all();
  const auto both_names = api("POST", "/v1/faults",
                              json({{"device", "eth0"},
                                    {"match", {{"peer", {ThreeSiteLab::v4_net('b')}}, {"to", {ThreeSiteLab::v4_net('c')}}}},
                                    {"impairments", {{"cut", json::object()}}}})
                                  .dump());
  EXPECT_EQ(both_names.status, 400) << both_names.body.dump();
  EXPECT_EQ(both_names.body["error"].value("field", ""), "match.to");
  EXPECT_EQ(lab_->tc_snapshot('a'), baseline_);
}

// A local side holding none of a's addresses gets a warning naming --peer,
// in the API answer and from the CLI (text and JSON); the fault is applied
// and acts exactly as it says (here: on nothing of a's, so b's packets arrive).
TEST_F(PeerLocal, LocalSideWithNoAddressHereWarnsAndChangesNothingElse) {
  const auto local_body = [](const std::string& addr) {
    return json({{"device", "eth0"}, {"direction", "ingress"}, {"match", {{"local", {addr + "/32"}}}},
                 {"impairments", {{"cut", json::object()}}}})
        .dump();
  };
  const auto a = api("POST", "/v1/faults", local_body(ThreeSiteLab::v4('b')));
  ASSERT_EQ(a.status, 201) << a.body.dump();
  ASSERT_EQ(a.body["warnings"].size(), 1u) << a.body.dump();
  EXPECT_EQ(a.body["warnings"][0]["code"], "local_matches_no_address");
  EXPECT_NE(a.body["warnings"][0].value("message", "").find("--peer"), std::string::npos) << a.body.dump();
  EXPECT_EQ(api("GET", "/v1/faults").body["faults"].size(), 1u);
  EXPECT_EQ(udp('b', 'a', false, kCount), kCount);
  revert_all();

  const auto ours = api("POST", "/v1/faults", local_body(ThreeSiteLab::v4('a')));
  ASSERT_EQ(ours.status, 201) << ours.body.dump();
  EXPECT_EQ(ours.body["warnings"], json::array()) << "a's own address is the local side: no warning";
  EXPECT_TRUE(nothing_delivered([&] { return udp('b', 'a', false, kCount); },
                                [&] { return udp('b', 'a', true, kCount); }, kCount));
  revert_all();

  const auto text = apply("ingress", {"--local", ThreeSiteLab::v4('b') + "/32"});
  EXPECT_NE(text.out.find("injector: warning: "), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("--peer"), std::string::npos) << text.out;
  revert_all();
  const auto as_json = apply("ingress", {"--local", ThreeSiteLab::v4('b') + "/32", "--output", "json"});
  const auto brace = as_json.out.find('{');
  ASSERT_NE(brace, std::string::npos) << as_json.out;
  const json parsed = json::parse(as_json.out.substr(brace, as_json.out.rfind('}') - brace + 1), nullptr, false);
  ASSERT_FALSE(parsed.is_discarded()) << as_json.out;
  EXPECT_EQ(parsed["warnings"][0]["code"], "local_matches_no_address") << as_json.out;
  revert_all();
  EXPECT_EQ(lab_->tc_snapshot('a'), baseline_);
}

}  // namespace
}  // namespace injector::testing

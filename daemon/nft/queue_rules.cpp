#include "daemon/nft/queue_rules.h"

#include <net/if.h>

#include <algorithm>
#include <cerrno>

#include "daemon/nft/nft_messages.h"
#include "daemon/nft/nft_socket.h"
#include "daemon/nft/nft_state.h"
#include "daemon/nft/rule_plan.h"

namespace injector::nft {
namespace {

// ERESTART: the ruleset changed between our reading it and the batch (the
// batch carries the generation it was built from, so the kernel refused it
// whole); EINTR: a dump was interrupted by such a change. Both mean "read
// again and rebuild", which a few attempts settle unless another tool
// rewrites the ruleset in a tight loop.
constexpr int kAttempts = 5;

template <class Attempt>
void transact(const std::string& what, Attempt attempt) {
  Socket sock;
  for (int i = 1;; ++i) {
    try {
      attempt(sock, sock.generation());
      return;
    } catch (const NftError& e) {
      if ((e.error() == ERESTART || e.error() == EINTR) && i < kAttempts) continue;
      throw NftError(what + ": " + e.what(), e.error());
    }
  }
}

void check_rule(const QueueRule& rule) {
  if (rule.side != Direction::egress && rule.side != Direction::ingress) {
    throw std::invalid_argument("queue rule: side must be egress or ingress (one rule set per side)");
  }
  if (rule.device.empty() || rule.device.size() >= IFNAMSIZ) {
    throw std::invalid_argument("queue rule: device name must have 1 to " + std::to_string(IFNAMSIZ - 1) +
                                " characters, got \"" + rule.device + "\"");
  }
}

std::string where(Family f) { return std::string("table ") + family_name(f) + " " + kTableName; }

void refuse_foreign(const TableState& st, Family f) {
  if (st.exists && !st.ours) {
    throw ForeignTableError(where(f) + " exists but was not made by injectord (its comment is \"" + st.comment +
                            "\", not \"" + std::string(kOwnerMark) + "\"); refusing to touch it");
  }
}

void refuse_duplicate(const TableState& st, Family f, const QueueRule& rule) {
  const std::string mine = rule_comment(rule.queue, rule.side);
  const bool rule_there = std::any_of(st.rules.begin(), st.rules.end(), [&](const RuleInfo& r) { return r.comment == mine; });
  const bool set_there = std::any_of(st.sets.begin(), st.sets.end(), [&](const std::string& s) {
    return s == set_name(rule.queue, rule.side, true) || s == set_name(rule.queue, rule.side, false);
  });
  if (rule_there || set_there) {
    throw NftError(where(f) + " already holds " + std::string(to_string(rule.side)) + " rules for queue " +
                       std::to_string(rule.queue) + "; remove them first",
                   EEXIST);
  }
}

// The table (if missing), the side's chain (if missing), the fault's address
// sets and its rule, for one family.
void append_family(Batch& b, const TableState& st, const FamilyRule& fr, const QueueRule& rule, std::uint32_t& set_id) {
  if (!st.exists) add_table(b, fr.family);
  if (!st.chains.contains(chain_name(rule.side))) add_base_chain(b, fr.family, rule.side);
  QueueRuleSpec spec{fr.family, rule.side, rule.device, rule.skip_mark, rule.queue, {}, {}, fr.l4proto, fr.dport, fr.sport};
  if (fr.daddr) {
    spec.daddr = SetRef{set_name(rule.queue, rule.side, true), ++set_id};
    add_address_set(b, fr.family, spec.daddr->name, spec.daddr->id, *fr.daddr);
  }
  if (fr.saddr) {
    spec.saddr = SetRef{set_name(rule.queue, rule.side, false), ++set_id};
    add_address_set(b, fr.family, spec.saddr->name, spec.saddr->id, *fr.saddr);
  }
  for (const ExclusionTest& t : plan_exclusion_tests(rule.exclusions, rule.side, fr)) add_exclusion_rule(b, spec, t);
  add_queue_rule(b, spec);
}

// Our queue rules and sets for `queue` in one family; the whole table when
// no other fault's rule would be left in it.
void append_removal(Batch& b, const TableState& st, Family f, std::uint16_t queue) {
  std::vector<const RuleInfo*> mine;
  bool others = false;
  for (const RuleInfo& r : st.rules) {
    const auto q = queue_of_rule_comment(r.comment);
    if (q == queue) mine.push_back(&r);
    if (q && *q != queue) others = true;
  }
  std::vector<std::string> sets;
  std::copy_if(st.sets.begin(), st.sets.end(), std::back_inserter(sets),
               [&](const std::string& s) { return set_belongs_to_queue(s, queue); });
  if (!others) {
    delete_table(b, f);  // takes its chains, the exemption rules and any set with it
    return;
  }
  // Rules first: a set cannot go while a rule still looks it up.
  for (const RuleInfo* r : mine) delete_rule(b, f, r->chain, r->handle);
  for (const std::string& s : sets) delete_set(b, f, s);
}

}  // namespace

void add_queue_rules(const QueueRule& rule) {
  check_rule(rule);
  const std::vector<FamilyRule> plan = plan_queue_rules(wire_match(rule.match, rule.side));
  const std::string what = "add " + std::string(to_string(rule.side)) + " queue rules for queue " +
                           std::to_string(rule.queue) + " on " + rule.device;
  transact(what, [&](Socket& sock, std::uint32_t generation) {
    std::vector<TableState> states;
    for (const FamilyRule& fr : plan) {
      states.push_back(read_table(sock, fr.family));
      refuse_foreign(states.back(), fr.family);
      refuse_duplicate(states.back(), fr.family, rule);
    }
    Batch batch(sock.next_seq(), generation);
    std::uint32_t set_id = 0;
    for (std::size_t i = 0; i < plan.size(); ++i) append_family(batch, states[i], plan[i], rule, set_id);
    sock.commit(batch);
  });
}

void remove_queue_rules(std::uint16_t queue) {
  transact("remove queue rules for queue " + std::to_string(queue), [&](Socket& sock, std::uint32_t generation) {
    std::vector<std::pair<Family, TableState>> ours;
    for (Family f : {Family::v4, Family::v6}) {
      TableState st = read_table(sock, f);
      // Absent or foreign: holds nothing of ours, and a foreign one is never touched.
      if (st.ours) ours.emplace_back(f, std::move(st));
    }
    if (ours.empty()) return;
    Batch batch(sock.next_seq(), generation);
    for (const auto& [f, st] : ours) append_removal(batch, st, f, queue);
    if (!batch.empty()) sock.commit(batch);
  });
}

bool have_our_tables() {
  Socket sock;
  return !families_with_our_table(sock).empty();
}

void remove_our_tables() {
  transact("remove injectord's nf_tables tables", [](Socket& sock, std::uint32_t generation) {
    const std::vector<Family> families = families_with_our_table(sock);
    if (families.empty()) return;
    Batch batch(sock.next_seq(), generation);
    for (Family f : families) delete_table(batch, f);
    sock.commit(batch);
  });
}

}  // namespace injector::nft

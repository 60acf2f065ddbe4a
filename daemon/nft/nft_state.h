#pragma once
// What the kernel holds under our table name, read by netlink dumps: enough
// to decide what a transaction must create or delete, and whether a table of
// our name is ours at all.

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "common/cidr.h"
#include "daemon/nft/nft_socket.h"

namespace injector::nft {

struct RuleInfo {
  std::string chain;
  std::uint64_t handle = 0;
  std::string comment;
};

struct TableState {
  bool exists = false;
  bool ours = false;  // carries kOwnerMark in its userdata
  std::string comment;  // whatever comment it carries (for error messages)
  std::set<std::string> chains;
  std::vector<RuleInfo> rules;
  std::vector<std::string> sets;
};

// Every table called kTableName in family f; its chains, rules and sets are
// read only when it is ours (a foreign table is never looked into further).
TableState read_table(Socket& sock, Family f);

// Families in which a table of our name carrying our mark exists.
std::vector<Family> families_with_our_table(Socket& sock);

}  // namespace injector::nft

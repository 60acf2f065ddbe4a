#pragma once
// Lists qdiscs with a raw RTM_GETQDISC dump. libnl's qdisc cache cannot be
// used here: parsing a "blackhole" qdisc (ours or anyone's) makes libnl 3.7
// hit an assertion and abort the process, so we read the few fields we need
// from the messages ourselves.

#include <cstdint>
#include <string>
#include <vector>

#include "daemon/netlink/nl_socket.h"

namespace injector::tc {

struct QdiscInfo {
  int ifindex = 0;
  std::uint32_t handle = 0;
  std::uint32_t parent = 0;
  std::string kind;
  std::uint64_t bytes = 0;
  std::uint64_t packets = 0;
  std::uint64_t drops = 0;
};

// Every qdisc in the namespace (ifindex 0) or on one device.
std::vector<QdiscInfo> dump_qdiscs(const nl::Socket& sock, int ifindex = 0);

}  // namespace injector::tc

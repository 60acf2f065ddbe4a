#pragma once
// Our HTB root on a device: the qdisc fa17: with no default class, so every
// unmatched packet takes HTB's direct queue (unshaped; measured ~3% more
// untouched throughput on a veth than a 100 Gbit/s default class), and, once
// an IPv6 fault arrives, the neighbour-discovery exemption filters. Also the one place that looks at a device's root qdisc
// and decides whose it is.

#include <cstdint>
#include <optional>

#include "daemon/netlink/batch.h"
#include "daemon/tc/tc_backend.h"

namespace injector::tc {

// A root qdisc with handle 0 is the kernel's own default (noqueue,
// pfifo_fast, mq, ...): anything a user or tool adds gets a non-zero handle.
RootQdisc read_root_qdisc(const nl::Socket& sock, int ifindex);

void add_htb_root(const nl::Socket& sock, int ifindex);
// The IPv6 neighbour-discovery exemption: u32 filters at kNdExemptPrio that
// send ND to the direct queue (pass_flow) ahead of every fault's filters. Only a fault with
// IPv6 rules needs it, and its two filters cost as much as the rest of the
// root together, so it comes with the first such fault, not with the root.
void add_nd_exemption(nl::Batch& batch, int ifindex);
// The control-path exclusions (daemon/tc/exclusion_rules.h): u32 filters at
// kExclusionPrio (IPv4) / kExclusionPrio + 1 (IPv6) sending matches to the direct queue.
void add_exclusion_filters(nl::Batch& batch, int ifindex, const std::vector<U32Rule>& rules);
void delete_htb_root(const nl::Socket& sock, int ifindex);

// An HTB class under our root: shaped to rate_bytes (per second) when given,
// else never limiting (rate = ceil = 100 Gbit/s). change: modify an existing one.
void add_htb_class(nl::Batch& batch, int ifindex, std::uint32_t classid, std::optional<std::uint64_t> rate_bytes,
                   std::uint32_t burst_bytes, bool change);

}  // namespace injector::tc

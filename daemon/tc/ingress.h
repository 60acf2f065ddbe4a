#pragma once
// Ingress faults: traffic arriving on a device is redirected (ingress qdisc,
// a match-all u32 filter with a mirred "egress redirect" action) to an ifb
// device of ours, whose egress carries the same HTB tree as any other device.
// Our ifb is named "ifbfa17-<ifindex of the device>" and our redirect filter
// has priority 0xfa17, so both are recognisable as ours.

#include <string>

#include "daemon/netlink/nl_socket.h"

namespace injector::tc {

inline constexpr std::uint16_t kRedirectPrio = 0xfa17;

std::string ifb_name(int device_ifindex);

// The device has an ingress or clsact qdisc (ours or anyone's).
bool has_ingress_qdisc(const nl::Socket& sock, int ifindex);

// Creates and brings up our ifb for the device; returns its ifindex.
int add_ifb(const nl::Socket& sock, int device_ifindex);
void delete_ifb(const nl::Socket& sock, int device_ifindex);  // missing is fine

// Ingress qdisc plus the redirect to the ifb, in one batch.
void add_ingress_redirect(const nl::Socket& sock, int ifindex, int ifb_ifindex);
void delete_ingress_qdisc(const nl::Socket& sock, int ifindex);  // with its filters; missing is fine

}  // namespace injector::tc

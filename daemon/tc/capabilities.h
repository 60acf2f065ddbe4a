#pragma once
// What this kernel's traffic control can do, probed once at start in a
// private network namespace (so the probe never touches the host's devices).
// libnl reports "qdisc kind unknown" with the same code as any not-found, so
// each feature is tried for real instead of inferred from an error.

#include <map>
#include <string>

namespace injector::tc {

struct Capabilities {
  // feature -> available: "sch_netem", "sch_htb", "sch_blackhole", "sch_ingress",
  // "sch_clsact", "cls_u32", "ifb", "act_mirred"; for the delay line,
  // "nfnetlink_queue" and "nft_compat" (the xtables NFQUEUE target in nf_tables)
  std::map<std::string, bool> features;
  bool has(const std::string& feature) const {
    auto it = features.find(feature);
    return it != features.end() && it->second;
  }
};

// Needs CAP_SYS_ADMIN (unshare) and CAP_NET_ADMIN; call before dropping privileges.
Capabilities probe_capabilities();

}  // namespace injector::tc

#pragma once
// Whether this kernel can carry the delay line, tried for real (as the
// traffic-control probe does): bind an NFQUEUE, and add and remove a queue
// rule of ours through nf_tables' xtables compatibility. Call it inside the
// probe's private network namespace.

#include <map>
#include <string>

namespace injector::delayline {

// Sets features "nfnetlink_queue" and "nft_compat".
void probe_delay_line(std::map<std::string, bool>& features);

}  // namespace injector::delayline

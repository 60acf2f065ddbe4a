#include "daemon/tc/netem.h"

#include <linux/pkt_sched.h>

#include <fstream>
#include <limits>
#include <sstream>

#include "daemon/tc/leaf.h"

namespace injector::tc {
namespace {

constexpr const char* kDistDirs[] = {"/usr/lib/x86_64-linux-gnu/tc/", "/usr/lib/tc/", "/usr/lib64/tc/",
                                     "/usr/local/lib/tc/"};

// The legacy 32-bit fields count psched ticks (64 ns); LATENCY64/JITTER64 carry
// the exact value, and the 32-bit ones are kept for kernels older than 4.15.
std::uint32_t ticks(std::chrono::nanoseconds ns) {
  const auto t = static_cast<std::uint64_t>(ns.count()) >> 6;
  return static_cast<std::uint32_t>(std::min<std::uint64_t>(t, std::numeric_limits<std::uint32_t>::max()));
}

void put(nl_msg* msg, int type, const void* data, std::size_t len) {
  nl::check("build netem attribute " + std::to_string(type), nla_put(msg, type, static_cast<int>(len), data));
}

void put_loss_model(nl_msg* msg, const GilbertElliott& ge) {
  nlattr* loss = nla_nest_start(msg, TCA_NETEM_LOSS);
  if (!loss) throw nl::NetlinkError("build netem loss model", -NLE_NOMEM);
  // In the bad state netem drops when a random draw exceeds h, so h = 1 - loss.
  const tc_netem_gemodel model{probability(ge.p_pct), probability(ge.r_pct),
                               std::numeric_limits<std::uint32_t>::max() - probability(ge.bad_loss_pct),
                               probability(ge.good_loss_pct)};
  put(msg, NETEM_LOSS_GE, &model, sizeof model);
  nla_nest_end(msg, loss);
}

void put_netem_attributes(nl_msg* msg, const NetemParams& p, const std::vector<std::int16_t>& table) {
  const tc_netem_corr corr{p.delay_corr, p.loss_corr, p.duplicate_corr};
  put(msg, TCA_NETEM_CORR, &corr, sizeof corr);
  const tc_netem_reorder reorder{p.reorder, p.reorder_corr};
  put(msg, TCA_NETEM_REORDER, &reorder, sizeof reorder);
  const tc_netem_corrupt corrupt{p.corrupt, p.corrupt_corr};
  put(msg, TCA_NETEM_CORRUPT, &corrupt, sizeof corrupt);
  if (p.gilbert_elliott) put_loss_model(msg, *p.gilbert_elliott);
  const std::int64_t latency = p.delay.count(), jitter = p.jitter.count();
  put(msg, TCA_NETEM_LATENCY64, &latency, sizeof latency);
  put(msg, TCA_NETEM_JITTER64, &jitter, sizeof jitter);
  if (!table.empty()) put(msg, TCA_NETEM_DELAY_DIST, table.data(), table.size() * sizeof(std::int16_t));
}

}  // namespace

std::vector<std::int16_t> load_distribution(Distribution d) {
  if (d == Distribution::none || d == Distribution::uniform) return {};
  const std::string name = std::string(to_string(d)) + ".dist";
  for (const char* dir : kDistDirs) {
    std::ifstream in(std::string(dir) + name);
    if (!in) continue;
    std::vector<std::int16_t> table;
    for (std::string line; std::getline(in, line);) {
      std::istringstream words(line.substr(0, line.find('#')));
      for (long v; words >> v;) table.push_back(static_cast<std::int16_t>(v));
    }
    return table;
  }
  throw std::runtime_error("netem distribution table " + name +
                           " not found (install iproute2; looked in /usr/lib/x86_64-linux-gnu/tc and /usr/lib/tc)");
}

void add_netem_qdisc(nl::Batch& batch, int ifindex, std::uint32_t parent, std::uint32_t handle,
                     const NetemParams& params, LeafOp op) {
  const auto table = load_distribution(params.distribution);
  auto msg = new_qdisc_message(ifindex, parent, handle, "netem", op, 4096 + table.size() * sizeof(std::int16_t));
  // netem's TCA_OPTIONS is a struct followed by attributes, not a plain nest.
  nlattr* options = nla_nest_start(msg.get(), TCA_OPTIONS);
  if (!options) throw nl::NetlinkError("build netem options", -NLE_NOMEM);
  tc_netem_qopt qopt{ticks(params.delay), params.limit, params.loss, params.gap, params.duplicate,
                           ticks(params.jitter)};
  nl::check("build netem options", nlmsg_append(msg.get(), &qopt, sizeof qopt, NLMSG_ALIGNTO));
  put_netem_attributes(msg.get(), params, table);
  nla_nest_end(msg.get(), options);
  batch.add(msg.release(), "add netem qdisc");
}

}  // namespace injector::tc

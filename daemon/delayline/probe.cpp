#include "daemon/delayline/probe.h"

#include "daemon/delayline/delay_line.h"
#include "daemon/delayline/queue_backend.h"
#include "daemon/nft/queue_rules.h"

namespace injector::delayline {

void probe_delay_line(std::map<std::string, bool>& features) {
  const std::uint16_t queue = queue_number(1, Direction::egress);
  try {
    DelayLine line;
    line.add(queue, Impairments{});
    line.remove(queue);
    features["nfnetlink_queue"] = true;
  } catch (const std::exception&) {
    features["nfnetlink_queue"] = false;
  }
  try {
    Match match;
    match.to.push_back(Cidr::parse("127.0.0.2/32"));
    nft::add_queue_rules({"lo", Direction::egress, match, queue, 0, {}});
    nft::remove_queue_rules(queue);
    features["nft_compat"] = true;
  } catch (const std::exception&) {
    features["nft_compat"] = false;
  }
}

}  // namespace injector::delayline

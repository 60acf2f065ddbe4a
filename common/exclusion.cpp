#include "common/exclusion.h"

#include <stdexcept>

#include "common/field_error.h"
#include "common/input_limits.h"
#include "common/strings.h"

namespace injector {
namespace {

constexpr const char* kForms =
    "PROTO:PORT[@CIDR], PROTO@CIDR or CIDR, PROTO tcp or udp, PORT 0-65535 or FIRST-LAST, "
    "CIDR IPv4 or IPv6 (optionally in brackets), e.g. tcp:22, udp:53, 10.0.0.0/8, tcp:22@10.0.0.0/8, tcp:22@[fd00::/64]";

Cidr parse_peer(std::string_view text, const std::string& field) {
  if (text.size() >= 2 && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos) throw FieldError(field, "'[' without a closing ']'", kForms);
    std::string inner(text.substr(1, close - 1));
    inner += text.substr(close + 1);  // "[fd00::]/64" as well as "[fd00::/64]"
    try {
      return Cidr::parse(inner);
    } catch (const std::invalid_argument& e) {
      throw FieldError(field, "bad peer network " + quote_input(inner) + ": " + e.what(), kForms);
    }
  }
  try {
    return Cidr::parse(text);
  } catch (const std::invalid_argument& e) {
    throw FieldError(field, "bad peer network " + quote_input(text) + ": " + e.what(), kForms);
  }
}

}  // namespace

Exclusion parse_exclusion(std::string_view text, const std::string& field) {
  if (text.empty()) throw FieldError(field, "is empty", kForms);
  const std::string shown = quote_input(text);
  Exclusion e;
  std::string_view head = text, peer;
  if (const auto at = text.find('@'); at != std::string_view::npos) {
    head = text.substr(0, at);
    peer = text.substr(at + 1);
    if (peer.empty()) throw FieldError(field, shown + " has nothing after '@'", kForms);
  } else if (!text.starts_with("tcp") && !text.starts_with("udp")) {
    e.peer = parse_peer(text, field);  // a bare network: every protocol with that peer
    return e;
  }
  const auto colon = head.find(':');
  const std::string_view proto = head.substr(0, colon);
  if (proto == "tcp") {
    e.protocol = Protocol::tcp;
  } else if (proto == "udp") {
    e.protocol = Protocol::udp;
  } else {
    throw FieldError(field, shown + ": unknown protocol " + quote_input(proto), kForms);
  }
  if (colon != std::string_view::npos) {
    try {
      e.local_port = parse_port_range(head.substr(colon + 1));
    } catch (const std::invalid_argument& err) {
      throw FieldError(field, shown + ": bad port: " + err.what(), kForms);
    }
  }
  if (e.local_port && e.local_port->first > e.local_port->last) {
    throw FieldError(field, shown + ": port range ends before it starts", kForms);
  }
  if (!peer.empty()) e.peer = parse_peer(peer, field);
  if (!e.local_port && !e.peer) throw FieldError(field, shown + " names neither a port nor a peer network", kForms);
  return e;
}

Exclusion listen_exclusion(std::uint16_t port) { return {Protocol::tcp, std::nullopt, PortRange{port, port}}; }

std::string to_string(const Exclusion& e) {
  std::string out = e.protocol == Protocol::any ? "any protocol" : std::string(to_string(e.protocol));
  if (e.local_port) out += " local port " + to_string(*e.local_port);
  if (e.peer) out += " with " + e.peer->to_string();
  return out;
}

nlohmann::json to_json(const Exclusion& e) {
  nlohmann::json j = {{"protocol", to_string(e.protocol)}, {"text", to_string(e)}};
  if (e.peer) j["peer"] = e.peer->to_string();
  if (e.local_port) j["local_port"] = to_string(*e.local_port);
  return j;
}

Match exclusion_match(const Exclusion& e) {
  Match m;
  m.protocol = e.protocol;
  if (e.peer) m.to.push_back(*e.peer);
  m.sport = e.local_port;
  return m;
}

}  // namespace injector

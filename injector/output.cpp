#include "injector/output.h"

#include <iomanip>
#include <sstream>

namespace injector::cli {
namespace {

using nlohmann::json;

std::string impairment_names(const json& spec) {
  std::string names;
  const json impairments = spec.value("impairments", json::object());
  for (const auto& [name, value] : impairments.items()) {
    names += (names.empty() ? "" : "+") + name;
  }
  return names;
}

std::string joined(const json& list, std::size_t max_items) {
  std::string s;
  std::size_t n = 0;
  for (const auto& item : list) {
    if (n == max_items) return s + ",… (" + std::to_string(list.size()) + " in all)";
    s += (n++ ? "," : "") + item.get<std::string>();
  }
  return s.empty() ? "-" : s;
}

// One side of a fault's match: `peer`/`local`, or `to`/`from` from a daemon
// that predates those names.
json side(const json& match, const char* name, const char* alias) {
  if (match.contains(name)) return match[name];
  return match.value(alias, json::array());
}

std::string labels_text(const json& labels) {
  std::string s;
  for (const auto& [k, v] : labels.items()) s += (s.empty() ? "" : ",") + k + "=" + v.get<std::string>();
  return s.empty() ? "-" : s;
}

// "uid:1000" or "cert:CN=..."; "-" from a daemon too old to say.
std::string created_by(const json& fault) {
  const std::string who = fault.value("created_by", "");
  return who.empty() ? "-" : who;
}

std::string seconds_left(const json& fault) {
  std::ostringstream s;
  s << fault.value("expires_in_ms", 0) / 1000 << "s";
  return s.str();
}

}  // namespace

void print_fault_table(const json& faults, std::ostream& out) {
  if (faults.empty()) {
    out << "no active faults\n";
    return;
  }
  out << std::left << std::setw(16) << "ID" << std::setw(10) << "DEVICE" << std::setw(10) << "KIND"
      << std::setw(36) << "TO" << std::setw(10) << "EXPIRES" << std::setw(10) << "DROPPED" << std::setw(25) << "CREATED BY"
      << "LABELS\n";
  for (const auto& f : faults) {
    const json& spec = f.at("spec");
    out << std::left << std::setw(16) << f.value("id", "?") << std::setw(10) << spec.value("device", "?")
        << std::setw(10) << impairment_names(spec) << std::setw(36) << joined(side(spec.at("match"), "peer", "to"), 2)
        << std::setw(10) << seconds_left(f) << std::setw(10)
        << f.value("counters", json::object()).value("packets_dropped", 0) << std::setw(24) << created_by(f) << " "
        << labels_text(spec.value("labels", json::object())) << "\n";
  }
}

namespace {

void print_kernel_and_counters(const json& f, std::ostream& out) {
  const json kernel = f.value("kernel", json::object());
  const json c = f.value("counters", json::object());
  if (f.value("backend", "netem") == "delayline") {
    out << "kernel:     nf_tables table " << kernel.value("nft_table", "?") << ", NFQUEUE";
    const json queues = kernel.value("queues", json::array());
    for (const auto& q : queues) {
      out << " " << q.value("nfqueue", 0) << " (" << q.value("side", "?") << ")";
    }
    out << "\ncounters:   " << c.value("packets_seen", 0) << " seen, " << c.value("packets_sent", 0) << " sent, "
        << c.value("packets_dropped", 0) << " dropped (" << c.value("packets_overflow", 0) << " queue full), "
        << c.value("packets_delayed", 0) << " delayed, " << c.value("packets_reordered", 0) << " reordered, "
        << c.value("packets_duplicated", 0) << " duplicated, " << c.value("packets_corrupted", 0) << " corrupted\n";
    return;
  }
  out << "kernel:     class " << kernel.value("class", "?") << ", leaf " << kernel.value("leaf", "?") << ", "
      << kernel.value("filter_rules", 0) << " u32 filters\n"
      << "counters:   " << c.value("packets_sent", 0) << " packets sent, " << c.value("packets_dropped", 0)
      << " dropped\n";
}

}  // namespace

void print_fault_detail(const json& f, std::ostream& out) {
  const json& spec = f.at("spec");
  const json& match = spec.at("match");
  out << "id:         " << f.value("id", "?") << "\n"
      << "kind:       " << impairment_names(spec) << " (" << spec.value("direction", "egress") << ")\n"
      << "impairs:    " << spec.value("impairments", json::object()).dump() << "\n"
      << "device:     " << spec.value("device", "?") << "\n"
      << "peer:       " << joined(side(match, "peer", "to"), 8) << "\n"
      << "local:      " << joined(side(match, "local", "from"), 8) << "\n"
      << "protocol:   " << match.value("protocol", "any") << "\n"
      << "created:    " << f.value("created_at", "?") << "\n"
      << "created by: " << created_by(f) << "\n"
      << "expires:    " << f.value("expires_at", "?") << " (in " << seconds_left(f) << ")\n"
      << "labels:     " << labels_text(spec.value("labels", json::object())) << "\n"
      << "backend:    " << f.value("backend", "netem") << " (asked: " << spec.value("backend", "auto") << ")\n";
  print_kernel_and_counters(f, out);
  out << "excluded:   ";
  const json excluded = f.value("excluded", json::array());
  if (excluded.empty()) out << (spec.value("control_path", "exclude") == "include" ? "none (control path included)" : "none");
  for (std::size_t i = 0; i < excluded.size(); ++i) out << (i ? ", " : "") << excluded[i].value("text", "?");
  out << "\n";
  if (f.contains("lease")) {
    out << "lease:      " << f["lease"].value("duration_ms", 0) << " ms, renew within "
        << f["lease"].value("expires_in_ms", 0) << " ms or the daemon reverts it\n";
  }
  if (f.contains("flap")) {
    out << "flap:       link " << f["flap"].value("link", "?") << ", next switch in "
        << f["flap"].value("next_switch_in_ms", 0) << " ms\n";
  }
}

void print_capabilities(const json& caps, std::ostream& out) {
  out << "kernel features:\n";
  const json features = caps.value("features", json::object());
  const json kinds = caps.value("impairments", json::object());
  for (const auto& [name, ok] : features.items()) {
    out << "  " << std::left << std::setw(16) << name << (ok.get<bool>() ? "yes" : "MISSING") << "\n";
  }
  out << "backends:\n";
  const json backends = caps.value("backends", json::object());
  for (const auto& [name, ok] : backends.items()) {
    out << "  " << std::left << std::setw(16) << name << (ok.get<bool>() ? "yes" : "no (kernel feature missing)") << "\n";
  }
  out << "fault kinds:\n";
  for (const auto& [name, ok] : kinds.items()) {
    out << "  " << std::left << std::setw(16) << name << (ok.get<bool>() ? "yes" : "no (kernel feature missing)") << "\n";
  }
}

void print_warnings(const json& answer, std::ostream& err) {
  if (!answer.is_object() || !answer.contains("warnings") || !answer["warnings"].is_array()) return;
  for (const auto& w : answer["warnings"]) err << "injector: warning: " << w.value("message", w.dump()) << "\n";
}

std::string describe_error(const json& body, int status) {
  if (!body.is_object() || !body.contains("error")) return "daemon answered HTTP " + std::to_string(status);
  const json& e = body["error"];
  std::string text = e.value("message", "unknown error");
  if (e.contains("field")) text = e["field"].get<std::string>() + ": " + text;
  if (e.contains("allowed")) text += " (allowed: " + e["allowed"].get<std::string>() + ")";
  return text;
}

}  // namespace injector::cli

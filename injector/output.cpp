#include "injector/output.h"

#include <algorithm>
#include <iomanip>
#include <sstream>
#include <string>
#include <vector>

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
    if (n == max_items) return s + ",... (" + std::to_string(list.size()) + " in all)";
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

namespace {

// "dport 443", "sport 1000-2000", both, or "-".
std::string ports_text(const json& match) {
  std::string s;
  for (const char* side : {"dport", "sport"}) {
    if (!match.contains(side)) continue;
    const json& p = match[side];
    s += (s.empty() ? "" : " ") + std::string(side) + " " + (p.is_string() ? p.get<std::string>() : p.dump());
  }
  return s.empty() ? "-" : s;
}

// Columns on a terminal: UTF-8 continuation bytes take no column.
std::size_t display_width(const std::string& s) {
  return static_cast<std::size_t>(std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

// Each column as wide as its widest cell plus two spaces, so a long kind
// (bandwidth+delay+loss) or a long network list never runs into the next one.
void print_columns(const std::vector<std::vector<std::string>>& rows, std::ostream& out) {
  std::vector<std::size_t> width;
  for (const auto& row : rows) {
    width.resize(std::max(width.size(), row.size()));
    for (std::size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], display_width(row[i]));
  }
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(width[i] + 2 - display_width(row[i]), ' ');
    }
    out << line << "\n";
  }
}

}  // namespace

void print_fault_table(const json& faults, std::ostream& out) {
  if (faults.empty()) {
    out << "no active faults\n";
    return;
  }
  std::vector<std::vector<std::string>> rows{{"ID", "DEVICE", "KIND", "DIRECTION", "PEER", "LOCAL", "PROTO", "PORTS",
                                              "EXPIRES", "DROPPED", "CREATED BY", "LABELS"}};
  for (const auto& f : faults) {
    const json& spec = f.at("spec");
    const json& match = spec.at("match");
    rows.push_back({f.value("id", "?"), spec.value("device", "?"), impairment_names(spec),
                    spec.value("direction", "egress"), joined(side(match, "peer", "to"), 2),
                    joined(side(match, "local", "from"), 2), match.value("protocol", "any"), ports_text(match),
                    seconds_left(f), std::to_string(f.value("counters", json::object()).value("packets_dropped", 0)),
                    created_by(f), labels_text(spec.value("labels", json::object()))});
  }
  print_columns(rows, out);
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
      << "backend:    " << f.value("served_by", f.value("backend", "netem")) << " (asked: "
      << spec.value("backend", "auto") << ")\n";
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

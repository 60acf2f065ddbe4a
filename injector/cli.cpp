#include "injector/cli.h"

#include <CLI/CLI.hpp>
#include <cctype>
#include <fstream>
#include <nlohmann/json.hpp>
#include <ostream>

#include "common/duration.h"
#include "common/fault_json.h"
#include "common/impairments_json.h"
#include "common/field_error.h"
#include "common/version.h"
#include "injector/cli_help.h"
#include "injector/flag_words.h"
#include "injector/fleet/fleet_cli.h"
#include "injector/hold.h"
#include "injector/http_client.h"
#include "injector/impairment_flags.h"
#include "injector/output.h"
#include "injector/playbook/playbook_cli.h"
#include "injector/run/run_cli.h"
#include "common/strings.h"

namespace injector::cli {
namespace {

using nlohmann::json;

struct Common {
  std::string daemon = "unix:/run/injector/injectord.sock";
  client::TlsFiles tls;  // --cert, --key, --ca: https:// daemons only
  std::string output = "text";
  client::Endpoint endpoint() const { return client::Endpoint::parse(daemon, tls); }
};

struct MatchFlags {
  std::string device;
  // --peer and --local name the sides from this host; --to and --from are
  // their older spellings, kept apart so messages name the flag typed.
  std::vector<std::string> peer, local, to, from, labels;
  std::string protocol = "any";
  std::string dport, sport;
  std::string direction = "egress";
  std::string backend = "auto";
  std::string lifetime;
  bool hold = false;
  std::string lease;
  bool include_control_path = false;
};

constexpr std::pair<const char*, const char*> kKinds[] = {
    {"cut", "Drop every matched packet (a fibre cut)"},
    {"delay", "Delay matched packets (--delay, with --jitter, --distribution, ...)"},
    {"loss", "Drop a share of matched packets (--loss or --gemodel)"},
    {"duplicate", "Duplicate a share of matched packets (--duplicate)"},
    {"corrupt", "Corrupt a share of matched packets (--corrupt)"},
    {"reorder", "Reorder matched packets (--reorder with --delay)"},
    {"bandwidth", "Cap the bandwidth of matched traffic (--rate)"},
    {"flap", "Cut matched traffic on and off (--period, --down)"},
};

}  // namespace

int exit_for_status(int status) {
  if (status == 403) return kForbidden;
  if (status == 404) return kNotFound;
  if (status == 409) return kConflict;
  if (status == 422) return kUnsupported;
  if (status >= 500) return kDaemonFailed;
  return kRejected;
}

namespace {

// Sends one request; prints the error and returns its exit code, or returns kOk with `answer` filled.
int call(const Common& c, const char* method, const std::string& target, const std::string& body, json& answer,
         std::ostream& err) {
  const auto result = client::http_request(c.endpoint(), method, target, body);
  answer = json::parse(result.body, nullptr, false);
  if (result.status >= 200 && result.status < 300 && !answer.is_discarded()) return kOk;
  json shown = answer;
  if (shown.is_object() && shown.contains("error") && shown["error"].is_object() &&
      shown["error"].contains("field") && shown["error"]["field"].is_string()) {
    shown["error"]["field"] = flag_for_field(shown["error"]["field"].get<std::string>());
  }
  err << "injector: error: " << describe_error(shown, result.status) << "\n";
  return exit_for_status(result.status);
}

}  // namespace

// "?label=K%3DV&..." for the daemon's label filter; checked like apply's labels.
std::string label_query(const std::vector<std::string>& labels) {
  std::string q;
  for (const auto& l : labels) {
    const auto [key, value] = parse_label(l);
    std::string encoded;
    for (unsigned char c : key + "=" + value) {
      if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
        encoded += static_cast<char>(c);
      } else {
        static constexpr char kHex[] = "0123456789ABCDEF";
        encoded += {'%', kHex[c >> 4], kHex[c & 0xf]};
      }
    }
    q += (q.empty() ? "?label=" : "&label=") + encoded;
  }
  return q;
}

namespace {

std::vector<Cidr> parse_cidrs(const std::vector<std::string>& values, const std::string& flag) {
  std::vector<Cidr> out;
  for (const auto& text : expand_targets(values, flag)) {
    try {
      out.push_back(Cidr::parse(text));
    } catch (const std::invalid_argument& e) {
      throw FieldError(flag, e.what(), "IPv4/IPv6 CIDRs, comma-separated, or @FILE");
    }
  }
  return out;
}

std::optional<PortRange> port_flag(const std::string& text, const char* flag) {
  if (text.empty()) return std::nullopt;
  try {
    return parse_port_range(text);
  } catch (const std::invalid_argument& e) {
    throw FieldError(flag, e.what(), "a port or FIRST-LAST");
  }
}

std::chrono::milliseconds lifetime_flag(const std::string& text) {
  try {
    return parse_duration(text);
  } catch (const std::invalid_argument& e) {
    throw FieldError("--for", e.what());
  }
}

FaultSpec fault_spec(const MatchFlags& f, const ImpairmentFlags& imp, const std::string& kind) {
  FaultSpec spec;
  spec.device = f.device;
  spec.match.to = parse_cidrs(f.peer, "--peer");
  for (auto& c : parse_cidrs(f.to, "--to")) spec.match.to.push_back(c);
  spec.match.from = parse_cidrs(f.local, "--local");
  for (auto& c : parse_cidrs(f.from, "--from")) spec.match.from.push_back(c);
  if (spec.match.to.empty() && spec.match.from.empty()) {
    throw FieldError("--peer", "no target networks given: a fault must name what it applies to",
                     "--peer and/or --local: CIDRs, comma-separated, or @FILE");
  }
  spec.match.protocol = protocol_from_string(f.protocol);
  spec.match.dport = port_flag(f.dport, "--dport");
  spec.match.sport = port_flag(f.sport, "--sport");
  spec.direction = direction_from_string(f.direction);
  spec.backend = backend_from_string(f.backend);
  spec.impairments = build_impairments(imp, kind);
  if (!f.lifetime.empty()) {
    spec.lifetime.duration = lifetime_flag(f.lifetime);
  }
  for (const auto& l : f.labels) spec.labels.insert(parse_label(l));
  if (f.include_control_path) spec.control_path = ControlPath::include;
  if (f.hold || !f.lease.empty()) {
    try {
      spec.lifetime.lease = parse_duration(f.lease.empty() ? "10s" : f.lease);
    } catch (const std::invalid_argument& e) {
      throw FieldError("--lease", e.what(), "a duration such as 10s (100ms to 1h)");
    }
  }
  validate(spec);  // the same checks the daemon makes, before anything is sent
  return spec;
}

// On ingress a user reads --from as the sender, which is the peer; say which
// side it names before the fault is sent (docs/api.md: from = local).
void note_from_side(const MatchFlags& f, std::ostream& err) {
  if (f.from.empty() || f.direction == "egress") return;
  err << "injector: note: --from names the local side (this host's addresses) in every direction; on " << f.direction
      << " it matches the packets' destination" << (f.direction == "both" ? " when they arrive" : "")
      << ", not their sender. To match what a peer sends, use --peer.\n";
}

void add_match_flags(CLI::App& cmd, MatchFlags& f) {
  cmd.add_option("--dev", f.device, "Device whose traffic is impaired, e.g. eth0")->required();
  cmd.add_option("--peer", f.peer,
                 "Remote networks, whatever the direction: where egress packets go, where ingress packets come "
                 "from (CIDRs, comma-separated, or @FILE)")
      ->delimiter(',');
  cmd.add_option("--local", f.local, "This host's networks, whatever the direction (CIDRs, comma-separated, or @FILE)")
      ->delimiter(',');
  cmd.add_option("--to", f.to, "Alias of --peer")->delimiter(',');
  cmd.add_option("--from", f.from, "Alias of --local: on ingress it names the packets' destination, not their sender")
      ->delimiter(',');
  cmd.add_option("--proto", f.protocol, "any, tcp, udp or icmp")->capture_default_str();
  cmd.add_option("--dport", f.dport, "Remote port or range, e.g. 443 or 8000-8100 (needs --proto tcp|udp)");
  cmd.add_option("--sport", f.sport, "Local port or range");
  cmd.add_option("--direction", f.direction, "egress, ingress or both")->capture_default_str();
  cmd.add_option("--backend", f.backend,
                 "auto, netem (kernel traffic control) or delayline (the daemon's NFQUEUE delay line); "
                 "auto takes netem where the kernel has it and allows the combination")
      ->capture_default_str();
  cmd.add_option("--for", f.lifetime, "Lifetime, e.g. 90s, 10m (default: the daemon's, 10m)");
  cmd.add_option("--label", f.labels, "KEY=VALUE, repeatable");
  cmd.add_flag("--hold", f.hold,
               "Stay in the foreground renewing the fault's lease; Ctrl-C reverts it, and if this process dies "
               "the daemon reverts it when the lease runs out");
  cmd.add_option("--lease", f.lease, "Lease to renew, e.g. 10s (default with --hold: 10s)");
  cmd.add_flag("--include-control-path", f.include_control_path,
               "Fault the daemon's control path too (its API connections and --management list), "
               "which every fault spares by default");
}

}  // namespace

std::vector<std::string> expand_targets(const std::vector<std::string>& values, const std::string& flag) {
  std::vector<std::string> out;
  for (const auto& v : values) {
    if (!v.starts_with("@")) {
      if (!v.empty()) out.push_back(v);
      continue;
    }
    std::ifstream in(v.substr(1));
    if (!in) throw FieldError(flag, "cannot read target file " + quote_input(v.substr(1), limits::kMaxQuotedPath));
    std::string line;
    while (std::getline(in, line)) {
      line = line.substr(0, line.find('#'));
      for (char& ch : line) if (ch == ',' || ch == '\t' || ch == '\r') ch = ' ';
      std::istringstream words(line);
      for (std::string w; words >> w;) out.push_back(w);
    }
  }
  return out;
}

int run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  CLI::App app{"injector: apply network faults through injectord daemons", "injector"};
  app.footer(std::string("\n") + kExamples + "\n" + kExitCodes);
  app.set_version_flag("--version", std::string("injector ") + kVersion);
  app.require_subcommand(1);
  Common common;
  auto* fault = app.add_subcommand("fault", "Apply, list and revert faults on one daemon");
  fault->require_subcommand(1);
  auto* caps = app.add_subcommand("capabilities", "What the daemon's kernel can do, and which fault kinds it serves");
  for (auto* cmd : {fault, caps}) {
    cmd->add_option("--daemon", common.daemon, "Daemon endpoint, unix:/PATH or https://HOST:PORT (mutual TLS)")
        ->envname("INJECTOR_DAEMON")
        ->capture_default_str();
    cmd->add_option("--cert", common.tls.cert, "https: our client certificate (PEM), signed by the daemon's --client-ca");
    cmd->add_option("--key", common.tls.key, "https: the client certificate's private key (PEM)");
    cmd->add_option("--ca", common.tls.ca, "https: the CA certificate (PEM) the daemon's certificate must verify against");
    cmd->add_option("--output", common.output, "text or json")->check(CLI::IsMember({"text", "json"}))->capture_default_str();
  }

  auto* apply = fault->add_subcommand("apply", "Apply a fault; prints its id")->fallthrough();
  apply->require_subcommand(1);
  MatchFlags match;
  ImpairmentFlags imp;
  for (const auto& [kind, help] : kKinds) {
    auto* cmd = apply->add_subcommand(kind, help)->fallthrough();
    add_match_flags(*cmd, match);
    if (std::string_view(kind) != "cut") add_impairment_flags(*cmd, imp);
  }
  std::string id;
  auto* update = fault->add_subcommand("update", "Change a live fault's impairments in place (no revert in between)")->fallthrough();
  update->add_option("id", id, "Fault id")->required();
  update->add_option("--for", match.lifetime, "Restart the lifetime from now, e.g. 10m");
  add_impairment_flags(*update, imp);
  auto* renew = fault->add_subcommand("renew", "Renew a held fault's lease (for scripts that hold faults themselves)")->fallthrough();
  renew->add_option("id", id, "Fault id")->required();
  auto* list = fault->add_subcommand("list", "List the daemon's active faults")->fallthrough();
  std::vector<std::string> label_filter;
  list->add_option("--label", label_filter, "Only faults with this KEY=VALUE label (repeatable: all must match)");
  auto* get = fault->add_subcommand("get", "Show one fault")->fallthrough();
  get->add_option("id", id, "Fault id")->required();
  bool all = false;
  auto* revert = fault->add_subcommand("revert", "Revert one fault, or every fault with --all")->fallthrough();
  revert->add_option("id", id, "Fault id");
  revert->add_flag("--all", all, "Revert every fault this daemon holds");
  revert->add_option("--label", label_filter, "Revert the faults with this KEY=VALUE label (repeatable: all must match)");

  fleet::FleetCommands fleet_commands(app);
  playbook::PlaybookCommands playbook_commands(app);
  run::RunCommands run_commands(app);

  try {
    std::vector<std::string> reversed(args.rbegin(), args.rend());
    app.parse(reversed);
    if (fleet_commands.parsed()) return fleet_commands.run(out, err);
    if (playbook_commands.parsed()) return playbook_commands.run(out, err);
    if (run_commands.parsed()) return run_commands.run(out, err);
    json answer;
    int rc = kOk;
    if (caps->parsed()) {
      rc = call(common, "GET", "/v1/capabilities", "", answer, err);
      if (rc == kOk) common.output == "json" ? void(out << answer.dump(2) << "\n") : print_capabilities(answer, out);
    } else if (apply->parsed()) {
      const std::string kind = apply->get_subcommands().front()->get_name();
      const FaultSpec spec = fault_spec(match, imp, kind);
      note_from_side(match, err);
      rc = call(common, "POST", "/v1/faults", to_request_json(spec).dump(), answer, err);
      if (rc == kOk) print_warnings(answer, err);
      if (rc == kOk) out << (common.output == "json" ? answer.dump(2) : answer.value("id", "")) << std::endl;
      if (rc == kOk && match.hold) {
        rc = hold({common.endpoint(), answer.value("id", ""), spec.lifetime.lease,
                   std::chrono::milliseconds(answer.value("expires_in_ms", 0))},
                  out, err);
      }
    } else if (renew->parsed()) {
      rc = call(common, "POST", "/v1/faults/" + id + "/lease", "", answer, err);
      if (rc == kOk) common.output == "json" ? void(out << answer.dump(2) << "\n") : print_fault_detail(answer, out);
    } else if (update->parsed()) {
      const Impairments wanted = build_impairments(imp, "");
      validate(wanted);  // the daemon's checks, before anything is sent
      json body = {{"impairments", to_json(wanted)}};
      if (!match.lifetime.empty()) body["lifetime"] = {{"duration_ms", lifetime_flag(match.lifetime).count()}};
      rc = call(common, "PATCH", "/v1/faults/" + id, body.dump(), answer, err);
      if (rc == kOk) common.output == "json" ? void(out << answer.dump(2) << "\n") : print_fault_detail(answer, out);
    } else if (list->parsed()) {
      rc = call(common, "GET", "/v1/faults" + label_query(label_filter), "", answer, err);
      if (rc == kOk) common.output == "json" ? void(out << answer.dump(2) << "\n") : print_fault_table(answer["faults"], out);
    } else if (get->parsed()) {
      rc = call(common, "GET", "/v1/faults/" + id, "", answer, err);
      if (rc == kOk) common.output == "json" ? void(out << answer.dump(2) << "\n") : print_fault_detail(answer, out);
    } else if (revert->parsed()) {
      if (int(all) + int(!id.empty()) + int(!label_filter.empty()) != 1) {
        throw FieldError("revert", "give one of: a fault id, --all, or --label KEY=VALUE");
      }
      const std::string target = !id.empty() ? "/v1/faults/" + id : "/v1/faults" + label_query(label_filter);
      rc = call(common, "DELETE", target, "", answer, err);
      if (rc == kOk && common.output == "json") out << answer.dump(2) << "\n";
      if (rc == kOk && common.output != "json") {
        for (const auto& r : answer["reverted"]) out << "reverted " << r.get<std::string>() << "\n";
        if (answer["reverted"].empty()) out << "nothing to revert\n";
      }
    }
    return rc;
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() != 0 && explain_unrecognised(app, err)) return kUsage;
    const int code = app.exit(e, out, err);
    return code == 0 ? kOk : kUsage;
  } catch (const FieldError& e) {
    // The spec's own checks name API fields; a `fault` user typed flags.
    if (!fault->parsed()) err << "injector: error: " << e.what() << "\n";
    else err << "injector: error: " << FieldError(flag_for_field(e.field()), e.message(), e.allowed()).what() << "\n";
    return kUsage;
  } catch (const std::invalid_argument& e) {
    err << "injector: error: " << e.what() << "\n";
    return kUsage;
  } catch (const client::UnreachableError& e) {
    err << "injector: error: " << e.what() << "\n";
    if (common.daemon == Common{}.daemon) {
      err << "injector: no --daemon was given and INJECTOR_DAEMON is not set, so the local default was tried; "
             "is injectord running on this host? Otherwise say which daemon: --daemon unix:/PATH or "
             "--daemon https://HOST:PORT, or set INJECTOR_DAEMON\n";
    }
    return kUnreachable;
  } catch (const client::UntrustedDaemonError& e) {
    err << "injector: error: " << e.what() << "\n";
    return kUntrusted;
  } catch (const client::CertificateRefusedError& e) {
    err << "injector: error: " << e.what() << "\n";
    return kForbidden;
  } catch (const std::exception& e) {
    err << "injector: error: " << e.what() << "\n";
    return kInternal;
  }
}

}  // namespace injector::cli

#include "injector/fleet/fleet_output.h"

#include <ctime>
#include <cstdio>

#include "common/fault_json.h"
#include "common/impairments_json.h"
#include "common/strings.h"

namespace injector::fleet {
namespace {

using nlohmann::json;

std::string join_cidrs(const std::vector<Cidr>& cidrs) {
  std::string out;
  for (const auto& c : cidrs) out += (out.empty() ? "" : ",") + c.to_string();
  return out;
}

// "delay+loss", from the JSON form of the impairments.
std::string impairment_names(const json& imp) {
  std::string out;
  if (!imp.is_object()) return out;
  for (const auto& [key, value] : imp.items()) out += (out.empty() ? "" : "+") + key;
  return out;
}

json host_fault_json(const HostFault& f) {
  return {{"host", f.host->name},           {"datacenter", f.host->datacenter}, {"daemon", f.host->daemon},
          {"device", f.spec.device},        {"peers", f.peers},                 {"targets", join_cidrs(f.spec.match.to)},
          {"spec", to_json(f.spec)}};
}

double ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

}  // namespace

std::string format_time(Clock::time_point t) {
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(us / 1'000'000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<long long>(us % 1'000'000));
  return buf;
}

json plan_json(const Plan& plan) {
  json hosts = json::array();
  for (const auto& f : plan.faults) hosts.push_back(host_fault_json(f));
  return {{"operation", plan.operation}, {"description", plan.description}, {"dry_run", true}, {"hosts", hosts}};
}

void print_plan(const Plan& plan, std::ostream& out) {
  out << "plan " << plan.operation << ": " << plan.description << " (dry run: nothing sent)\n";
  for (const auto& f : plan.faults) {
    out << "  " << f.host->name << " (" << f.host->datacenter << ") dev " << f.spec.device << " egress to "
        << join(f.peers) << " [" << join_cidrs(f.spec.match.to) << "]: " << impairment_names(to_json(f.spec.impairments)) << "\n";
  }
}

// The spread of the hosts' kernel changes, from the commit answers.
struct Activation {
  std::optional<Clock::time_point> first, last;
};

Activation activation_of(const ApplyReport& report) {
  Activation a;
  for (const auto& r : report.applied) {
    const auto t = activated_at(r);
    if (!t) continue;
    if (!a.first || *t < *a.first) a.first = t;
    if (!a.last || *t > *a.last) a.last = t;
  }
  return a;
}

json apply_json(const Plan& plan, const ApplyReport& report) {
  json hosts = json::array();
  const bool committed = !report.applied.empty();
  for (std::size_t i = 0; i < plan.faults.size(); ++i) {
    const auto& r = report.last_phase()[i];
    json h = host_fault_json(plan.faults[i]);
    h["ok"] = r.ok();
    h["phase"] = committed ? "commit" : "prepare";
    h["fault"] = r.ok() ? r.body.value("id", "") : "";
    if (const auto t = activated_at(r)) h["activated_at"] = format_time(*t);
    if (!r.ok()) h["error"] = r.error;
    hosts.push_back(h);
  }
  json out = {{"operation", plan.operation}, {"description", plan.description}, {"ok", report.ok()},
              {"rolled_back", !report.rollback.empty()}, {"hosts", hosts}, {"rollback", results_json(report.rollback)}};
  const Activation a = activation_of(report);
  if (committed && a.first) {
    out["commit_sent_at"] = format_time(report.commit_sent);
    out["all_active_after_ms"] = ms_between(report.commit_sent, *a.last);
    out["skew_ms"] = ms_between(*a.first, *a.last);
  }
  return out;
}

void print_apply(const Plan& plan, const ApplyReport& report, std::ostream& out) {
  out << (report.ok() ? "applied " : "FAILED ") << plan.operation << ": " << plan.description << "\n";
  const char* phase = report.applied.empty() ? "prepare" : "commit";
  for (const auto& r : report.last_phase()) {
    out << "  " << r.host->name << ": ";
    const auto t = activated_at(r);
    if (r.ok()) {
      out << r.body.value("id", "") << (t ? " active at " + format_time(*t) : std::string(" prepared")) << "\n";
    } else {
      out << "failed (" << phase << "): " << r.error << "\n";
    }
  }
  const Activation a = activation_of(report);
  if (report.ok() && a.first) {
    out << "all " << report.applied.size() << " hosts active " << ms_between(report.commit_sent, *a.last)
        << " ms after the commit was sent; skew " << ms_between(*a.first, *a.last) << " ms\n";
  }
  if (report.rollback.empty()) return;
  out << "rolled back on every host of the plan:\n";
  print_reverted(report.rollback, out);
}

json results_json(const std::vector<HostResult>& results) {
  json out = json::array();
  for (const auto& r : results) {
    json h = {{"host", r.host->name}, {"datacenter", r.host->datacenter}, {"ok", r.ok()}, {"status", r.status}};
    if (r.ok()) h["answer"] = r.body;
    if (!r.ok()) h["error"] = r.error;
    out.push_back(h);
  }
  return out;
}

void print_status(const std::vector<HostResult>& results, std::ostream& out) {
  std::size_t active = 0;
  for (const auto& r : results) {
    if (!r.ok()) {
      out << r.host->name << ": unreachable or failed: " << r.error << "\n";
      continue;
    }
    for (const auto& f : r.body.value("faults", json::array())) {
      ++active;
      const auto labels = f["spec"].value("labels", json::object());
      out << r.host->name << " (" << r.host->datacenter << ") " << f.value("id", "") << " "
          << labels.value("fleet.op", "-") << " " << impairment_names(f["spec"].value("impairments", json::object()))
          << " dev " << f["spec"].value("device", "") << ", " << f.value("expires_in_ms", 0) / 1000 << " s left\n";
    }
  }
  out << active << " active fault" << (active == 1 ? "" : "s") << " on " << results.size() << " host"
      << (results.size() == 1 ? "" : "s") << "\n";
}

void print_reverted(const std::vector<HostResult>& results, std::ostream& out, bool expired) {
  for (const auto& r : results) {
    out << "  " << r.host->name << ": ";
    if (!r.ok()) {
      out << "failed: " << r.error << "\n";
      continue;
    }
    const auto reverted = r.body.value("reverted", json::array());
    if (!reverted.empty()) out << "reverted " << reverted.dump() << "\n";
    else out << (expired ? "expired as planned" : "nothing to revert") << "\n";
  }
}

}  // namespace injector::fleet

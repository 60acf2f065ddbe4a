#include "support/payments_lab.h"

#include <httplib.h>

#include <stdexcept>
#include <thread>

#include "injector/drill/payments_api.h"
#include "injector/fleet/operations.h"
#include "support/netns.h"

namespace injector::testing {

namespace {

std::int64_t unix_us(fleet::Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
}

}  // namespace

PaymentsLab::PaymentsLab(const std::string& repo, const std::string& prefix, const std::vector<std::string>& extra)
    : repo_(repo), prefix_(prefix) {
  std::vector<std::string> argv = {repo + "/scripts/lab", "up", "--payments", "--prefix", prefix};
  argv.insert(argv.end(), extra.begin(), extra.end());
  const CommandResult up = run_command(argv);
  if (up.status != 0) {
    run_command({repo + "/scripts/lab", "down", "--prefix", prefix});
    throw std::runtime_error("scripts/lab up --payments failed (" + std::to_string(up.status) + "):\n" + up.out);
  }
  try {
    inventory_ = fleet::load_inventory("/run/injector-lab/" + prefix + "/inventory.yaml");
    (void)users_netns();
  } catch (...) {
    run_command({repo + "/scripts/lab", "down", "--prefix", prefix});
    throw;
  }
}

PaymentsLab::~PaymentsLab() {
  try {
    run_command({repo_ + "/scripts/lab", "down", "--prefix", prefix_});
  } catch (...) {  // a destructor must not throw; the lab's own down is best effort
  }
}

const fleet::Service& PaymentsLab::service(const std::string& kind, const std::string& dc) const {
  for (const auto& s : inventory_.services) {
    if (s.kind != kind) continue;
    if (dc.empty()) return s;
    for (const auto& h : inventory_.hosts) {
      if (h.name == s.host && h.datacenter == dc) return s;
    }
  }
  throw std::runtime_error("the lab's inventory has no " + kind + " service" + (dc.empty() ? "" : " in " + dc));
}

std::string PaymentsLab::api_url() const { return service("payments-api", "").url; }
std::string PaymentsLab::service_url(const std::string& dc) const { return service("payments", dc).url; }
std::string PaymentsLab::etcd_url(const std::string& dc) const { return service("etcd", dc).url; }

std::vector<std::string> PaymentsLab::payment_datacenters() const {
  std::vector<std::string> out;
  for (const auto& dc : inventory_.datacenter_names()) {
    for (const auto& s : inventory_.services) {
      if (s.kind != "payments") continue;
      for (const auto& h : inventory_.hosts) {
        if (h.name == s.host && h.datacenter == dc) out.push_back(dc);
      }
    }
  }
  return out;
}

std::string PaymentsLab::users_netns() const {
  const std::string host = service("payments-api", "").host;
  for (const auto& h : inventory_.hosts) {
    if (h.name == host && !h.netns.empty()) return h.netns;
  }
  throw std::runtime_error("the payments-api host " + host + " has no lab namespace");
}

Isolation isolate(const PaymentsLab& lab, const std::string& dc, std::chrono::milliseconds lifetime) {
  fleet::PlanOptions options;
  options.lifetime.duration = lifetime;
  Isolation iso{fleet::plan_isolate(lab.inventory(), dc, false, options)};
  const fleet::ApplyReport report = fleet::apply_plan(iso.plan);
  if (!report.ok()) throw std::runtime_error("injector partition --isolate " + dc + " failed");
  for (const auto& r : report.applied) {
    const auto t = fleet::activated_at(r);
    if (!t) throw std::runtime_error("a daemon did not say when the cut became active");
    const std::int64_t us = unix_us(*t);
    if (iso.first_active_us == 0 || us < iso.first_active_us) iso.first_active_us = us;
    if (us > iso.last_active_us) iso.last_active_us = us;
  }
  return iso;
}

std::int64_t heal(const Isolation& isolation) {
  const auto results = fleet::revert_on(fleet::plan_hosts(isolation.plan), isolation.plan.operation);
  for (const auto& r : results) {
    if (!r.ok()) throw std::runtime_error("revert failed on " + r.host->name + ": " + r.error);
  }
  return unix_us(fleet::Clock::now());
}

HttpAnswer http_json(const PaymentsLab& lab, const std::string& method, const std::string& url,
                     const nlohmann::json& body, const std::vector<std::pair<std::string, std::string>>& headers) {
  return lab.as_user([&] {
    const auto split = url.find('/', url.find("//") + 2);
    const std::string base = url.substr(0, split);
    const std::string path = split == std::string::npos ? "/" : url.substr(split);
    const auto addr = drill::parse_http_url(base);
    httplib::Client client(addr.host, addr.port);
    client.set_connection_timeout(std::chrono::seconds(2));
    client.set_read_timeout(std::chrono::seconds(5));
    httplib::Headers h(headers.begin(), headers.end());
    const auto result = method == "GET" ? client.Get(path, h)
                                        : client.Post(path, h, body.is_null() ? "" : body.dump(), "application/json");
    if (!result) throw std::runtime_error(method + " " + url + ": " + httplib::to_string(result.error()));
    HttpAnswer a{result->status, nlohmann::json::parse(result->body, nullptr, false),
                 result->get_header_value("X-Served-By")};
    if (a.body.is_discarded()) a.body = nullptr;
    return a;
  });
}

namespace {

struct Member {
  std::string dc, id;
};

// The members (name = datacenter, id) and the leader's id, from the first member that answers.
std::pair<std::vector<Member>, std::string> etcd_view(const PaymentsLab& lab) {
  for (const auto& dc : lab.payment_datacenters()) {
    try {
      const auto status = http_json(lab, "POST", lab.etcd_url(dc) + "/v3/maintenance/status", nlohmann::json::object());
      const auto list = http_json(lab, "POST", lab.etcd_url(dc) + "/v3/cluster/member/list", nlohmann::json::object());
      if (status.status != 200 || list.status != 200 || !status.body.contains("leader")) continue;
      std::vector<Member> members;
      for (const auto& m : list.body.at("members")) members.push_back({m.value("name", ""), m.value("ID", "")});
      return {members, status.body["leader"].get<std::string>()};
    } catch (const std::exception&) {
      continue;  // that member is cut off or down: ask the next
    }
  }
  throw std::runtime_error("no etcd member answered with a leader");
}

}  // namespace

std::string etcd_leader(const PaymentsLab& lab) {
  const auto [members, leader] = etcd_view(lab);
  for (const auto& m : members) {
    if (m.id == leader) return m.dc;
  }
  throw std::runtime_error("the etcd leader " + leader + " is not a known member");
}

void etcd_move_leader(const PaymentsLab& lab, const std::string& dc) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (std::chrono::steady_clock::now() < deadline) {
    const auto [members, leader] = etcd_view(lab);
    std::string leader_dc, target;
    for (const auto& m : members) {
      if (m.id == leader) leader_dc = m.dc;
      if (m.dc == dc) target = m.id;
    }
    if (target.empty()) throw std::runtime_error("no etcd member in " + dc);
    if (leader_dc == dc) return;
    if (!leader_dc.empty()) {
      http_json(lab, "POST", lab.etcd_url(leader_dc) + "/v3/maintenance/transfer-leadership", {{"targetID", target}});
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  throw std::runtime_error("etcd leadership did not move to " + dc + " within 15 s");
}

}  // namespace injector::testing

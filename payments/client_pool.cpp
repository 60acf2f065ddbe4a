#include "client_pool.h"

#include <map>

namespace payments {

ClientPool::Lease ClientPool::take() {
  {
    std::lock_guard lock(mu_);
    if (!idle_.empty()) {
      auto c = std::move(idle_.back());
      idle_.pop_back();
      return Lease(*this, std::move(c));
    }
  }
  auto c = std::make_unique<httplib::Client>(url_);
  c->set_keep_alive(true);
  c->set_tcp_nodelay(true);  // else Nagle + delayed ACK cost ~40 ms per request
  return Lease(*this, std::move(c));
}

void ClientPool::give_back(std::unique_ptr<httplib::Client> c) {
  if (!c) return;
  std::lock_guard lock(mu_);
  idle_.push_back(std::move(c));
}

ClientPool& client_pool(const std::string& url) {
  static std::mutex mu;
  static std::map<std::string, std::unique_ptr<ClientPool>> pools;
  std::lock_guard lock(mu);
  auto& p = pools[url];
  if (!p) p = std::make_unique<ClientPool>(url);
  return *p;
}

}  // namespace payments

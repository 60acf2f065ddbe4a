#include "injector/fleet/fleet_client.h"

#include <algorithm>
#include <atomic>
#include <latch>
#include <thread>

#include "injector/http_client.h"
#include "injector/output.h"

namespace injector::fleet {
namespace {

HostResult call_one(const HostCall& call, std::chrono::milliseconds timeout) {
  HostResult r;
  r.host = call.host;
  r.sent = Clock::now();
  try {
    const auto endpoint = call.host->endpoint();
    const auto answer = client::http_request(endpoint, call.method, call.target, call.body, timeout);
    r.answered = Clock::now();
    r.status = answer.status;
    r.body = nlohmann::json::parse(answer.body, nullptr, false);
    if (r.body.is_discarded()) r.body = nullptr;
    if (!r.ok()) r.error = cli::describe_error(r.body, r.status);
  } catch (const std::exception& e) {
    r.answered = Clock::now();
    r.error = e.what();
  }
  return r;
}

}  // namespace

std::vector<HostResult> call_all(const std::vector<HostCall>& calls, const CallOptions& options) {
  std::vector<HostResult> results(calls.size());
  std::atomic<std::size_t> next{0};
  const std::size_t n = options.together ? calls.size() : std::min(calls.size(), std::max<std::size_t>(options.parallel, 1));
  std::latch ready(static_cast<std::ptrdiff_t>(n) + 1);
  auto worker = [&] {
    if (options.together) ready.arrive_and_wait();
    for (std::size_t i = next++; i < calls.size(); i = next++) results[i] = call_one(calls[i], options.timeout);
  };
  {
    std::vector<std::jthread> pool;
    pool.reserve(n);
    for (std::size_t t = 0; t < n; ++t) pool.emplace_back(worker);
    if (options.released) *options.released = Clock::now();
    if (options.together) ready.arrive_and_wait();
  }  // every thread joined
  return results;
}

std::vector<HostResult> call_each(const Inventory& inv, const std::string& method, const std::string& target,
                                  const CallOptions& options) {
  std::vector<HostCall> calls;
  for (const auto& h : inv.hosts) calls.push_back({&h, method, target, {}});
  return call_all(calls, options);
}

}  // namespace injector::fleet

#pragma once
// Work done in a network namespace of our own, away from the host's devices:
// a short-lived thread unshares a fresh namespace (namespaces are per thread
// for unshare(CLONE_NEWNET), so the daemon's other threads never move), runs
// the work there and ends. Needs CAP_SYS_ADMIN: call before dropping privileges.

#include <sched.h>

#include <cerrno>
#include <future>
#include <string>
#include <system_error>
#include <thread>
#include <utility>

namespace injector::nl {

inline constexpr int kPrivateLoopback = 1;  // lo is always ifindex 1 in a new namespace

template <class Work>
auto run_in_private_netns(const std::string& why, Work work) -> decltype(work()) {
  std::packaged_task<decltype(work())()> task([&] {
    if (unshare(CLONE_NEWNET) != 0) throw std::system_error(errno, std::generic_category(), "unshare(CLONE_NEWNET) for " + why);
    return work();
  });
  auto result = task.get_future();
  std::thread(std::move(task)).join();
  return result.get();
}

}  // namespace injector::nl

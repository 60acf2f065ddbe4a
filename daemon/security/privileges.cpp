#include "daemon/security/privileges.h"

#include <sys/capability.h>
#include <sys/prctl.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <stdexcept>

namespace injector::security {
namespace {

constexpr cap_value_t kKept[] = {CAP_NET_ADMIN, CAP_NET_RAW};

struct CapFree {
  void operator()(void* p) const noexcept { cap_free(p); }
};
using Caps = std::unique_ptr<std::remove_pointer_t<cap_t>, CapFree>;

bool kept(cap_value_t c) { return std::find(std::begin(kKept), std::end(kKept), c) != std::end(kKept); }

std::string name(cap_value_t c) {
  std::unique_ptr<char, CapFree> n(cap_to_name(c));
  std::string s = n ? n.get() : "capability " + std::to_string(c);
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char ch) { return static_cast<char>(std::toupper(ch)); });
  return s;
}

[[noreturn]] void fail(const std::string& what, int err = 0) {
  std::string msg = "cannot drop privileges: " + what;
  if (err) msg += std::string(" (") + std::strerror(err) + ")";
  throw std::runtime_error(msg);
}

Caps current() {
  Caps caps(cap_get_proc());
  if (!caps) fail("cap_get_proc", errno);
  return caps;
}

bool has(cap_t caps, cap_value_t c, cap_flag_t set) {
  cap_flag_value_t v = CAP_CLEAR;
  return cap_get_flag(caps, c, set, &v) == 0 && v == CAP_SET;
}

// Capabilities are per thread: a thread started earlier would keep them all.
void require_single_thread() {
  std::string names;
  int tasks = 0;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::string comm;
    std::getline(std::ifstream(task.path() / "comm"), comm);
    names += (tasks++ ? ", " : "") + task.path().filename().string() + " (" + comm + ")";
  }
  if (tasks != 1) {
    fail("the process has " + std::to_string(tasks) + " threads [" + names +
         "]; capabilities are per thread, so the drop must come before any thread starts");
  }
}

void require_kept_permitted() {
  const Caps caps = current();
  for (cap_value_t c : kKept) {
    if (!has(caps.get(), c, CAP_PERMITTED)) {
      fail("injectord needs " + name(c) + " to serve and does not have it; run it as root, and list " + name(c) +
           " in the unit's CapabilityBoundingSet");
    }
  }
}

void shrink_bounding_set() {
  for (cap_value_t c = 0; c < cap_max_bits(); ++c) {
    if (kept(c) || cap_get_bound(c) != 1) continue;
    if (cap_drop_bound(c) != 0) {
      fail("removing " + name(c) +
               " from the bounding set needs CAP_SETPCAP; a systemd unit must list CAP_SETPCAP in "
               "CapabilityBoundingSet",
           errno);
    }
  }
}

void set_process_sets() {
  if (CAP_AMBIENT_SUPPORTED() && cap_reset_ambient() != 0) fail("clearing the ambient set", errno);
  const Caps caps(cap_init());  // every set empty: inheritable stays so
  if (!caps) fail("cap_init", errno);
  for (cap_flag_t set : {CAP_EFFECTIVE, CAP_PERMITTED}) {
    if (cap_set_flag(caps.get(), set, static_cast<int>(std::size(kKept)), kKept, CAP_SET) != 0) fail("cap_set_flag", errno);
  }
  if (cap_set_proc(caps.get()) != 0) fail("setting the effective and permitted sets", errno);
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) fail("setting no_new_privs", errno);
}

// Reads everything back: a kernel or libcap that silently kept more must not serve.
void verify() {
  const Caps caps = current();
  for (cap_value_t c = 0; c < cap_max_bits(); ++c) {
    const bool want = kept(c);
    if (has(caps.get(), c, CAP_EFFECTIVE) != want || has(caps.get(), c, CAP_PERMITTED) != want ||
        has(caps.get(), c, CAP_INHERITABLE) || (cap_get_bound(c) == 1) != want ||
        (CAP_AMBIENT_SUPPORTED() && cap_get_ambient(c) == 1)) {
      fail("after the drop " + name(c) + " is not where it should be");
    }
  }
  if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1) fail("no_new_privs is not set after the drop");
}

}  // namespace

std::vector<std::string> serving_capabilities() {
  std::vector<std::string> names;
  for (cap_value_t c : kKept) names.push_back(name(c));
  return names;
}

std::string drop_privileges() {
  require_single_thread();
  require_kept_permitted();
  shrink_bounding_set();  // first: it needs CAP_SETPCAP, which set_process_sets gives up
  set_process_sets();
  verify();
  std::string kept_names;
  for (const auto& n : serving_capabilities()) kept_names += (kept_names.empty() ? "" : " ") + n;
  return "privileges dropped: kept " + kept_names +
         " (effective, permitted and bounding sets); inheritable and ambient empty; no_new_privs set";
}

}  // namespace injector::security

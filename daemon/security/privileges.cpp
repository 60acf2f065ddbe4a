#include "daemon/security/privileges.h"

#include <sys/capability.h>
#include <sys/prctl.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <thread>
#include <fstream>
#include <iterator>
#include <map>
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

void set_thread_sets() {
  if (CAP_AMBIENT_SUPPORTED() && cap_reset_ambient() != 0) fail("clearing the ambient set", errno);
  const Caps caps(cap_init());  // every set empty: inheritable stays so
  if (!caps) fail("cap_init", errno);
  for (cap_flag_t set : {CAP_EFFECTIVE, CAP_PERMITTED}) {
    if (cap_set_flag(caps.get(), set, static_cast<int>(std::size(kKept)), kKept, CAP_SET) != 0) fail("cap_set_flag", errno);
  }
  if (cap_set_proc(caps.get()) != 0) fail("setting the effective and permitted sets", errno);
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) fail("setting no_new_privs", errno);
}

std::uint64_t kept_mask() {
  std::uint64_t mask = 0;
  for (cap_value_t c : kKept) mask |= 1ULL << c;
  return mask;
}

// /proc/self/task/TID/status, "Name: value" per line.
std::map<std::string, std::string> task_status(const std::filesystem::path& task) {
  std::map<std::string, std::string> fields;
  std::ifstream in(task / "status");
  for (std::string line; std::getline(in, line);) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    const auto value = line.find_first_not_of(" \t", colon + 1);
    fields[line.substr(0, colon)] = value == std::string::npos ? "" : line.substr(value);
  }
  return fields;
}

// What is wrong with one thread after the drop; empty when nothing is. A
// thread that is exiting (zombie or dead) can run no more code and is passed.
std::string thread_problem(const std::filesystem::path& task) {
  static const std::pair<const char*, std::uint64_t> expected[] = {
      {"CapEff", kept_mask()}, {"CapPrm", kept_mask()}, {"CapBnd", kept_mask()}, {"CapInh", 0}, {"CapAmb", 0}};
  const auto fields = task_status(task);
  if (fields.empty()) return {};  // gone between the listing and the read
  const auto state = fields.count("State") ? fields.at("State") : "";
  if (state.starts_with("Z") || state.starts_with("X")) return {};
  const std::string who =
      "thread " + task.filename().string() + " (" + (fields.count("Name") ? fields.at("Name") : "?") + ")";
  for (const auto& [set, want] : expected) {
    const auto it = fields.find(set);
    if (it == fields.end() && std::string(set) == "CapAmb") continue;  // kernels before 4.3
    if (it == fields.end() || std::stoull(it->second, nullptr, 16) != want) {
      return who + " holds " + set + " " + (it == fields.end() ? "?" : it->second) +
             " after the drop; every thread must drop (capabilities are per thread)";
    }
  }
  const auto nnp = fields.find("NoNewPrivs");
  if (nnp == fields.end() || nnp->second != "1") return who + " has no no_new_privs after the drop";
  return {};
}

// Reads every thread back from the kernel: a thread that was missed, or a
// kernel or libcap that silently kept more, must not serve. A thread that was
// just joined can still be listed for a moment while the kernel finishes its
// exit, so a problem must persist for 200 ms to count.
void verify_every_thread() {
  std::string problem;
  for (int attempt = 0; attempt < 10; ++attempt) {
    problem.clear();
    for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
      problem = thread_problem(task.path());
      if (!problem.empty()) break;
    }
    if (problem.empty()) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  fail(problem);
}

}  // namespace

std::vector<std::string> serving_capabilities() {
  std::vector<std::string> names;
  for (cap_value_t c : kKept) names.push_back(name(c));
  return names;
}

void drop_thread_privileges() {
  require_kept_permitted();
  shrink_bounding_set();  // first: it needs CAP_SETPCAP, which set_thread_sets gives up
  set_thread_sets();
}

std::string drop_privileges() {
  drop_thread_privileges();
  verify_every_thread();
  std::string kept_names;
  for (const auto& n : serving_capabilities()) kept_names += (kept_names.empty() ? "" : " ") + n;
  return "privileges dropped on every thread: kept " + kept_names +
         " (effective, permitted and bounding sets); inheritable and ambient empty; no_new_privs set";
}

}  // namespace injector::security

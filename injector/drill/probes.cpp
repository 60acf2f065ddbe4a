#include "injector/drill/probes.h"

#include <type_traits>

#include "injector/drill/probe_kinds.h"

namespace injector::drill {

namespace probe_detail {

std::optional<SplitUrl> split_url(const std::string& url) {
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return std::nullopt;
  const std::string scheme = url.substr(0, scheme_end);
  if (scheme != "http" && scheme != "https") return std::nullopt;
  const auto path_start = url.find_first_of("/?#", scheme_end + 3);
  SplitUrl s;
  s.origin = url.substr(0, path_start);
  if (s.origin.size() == scheme_end + 3) return std::nullopt;  // no host
  s.path = path_start == std::string::npos ? "/" : url.substr(path_start);
  if (s.path.front() != '/') s.path.insert(0, "/");
  const auto fragment = s.path.find('#');  // never sent to a server
  if (fragment != std::string::npos) s.path.erase(fragment);
  return s;
}

std::int64_t elapsed_ms(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - since).count();
}

}  // namespace probe_detail

Op to_op(playbook::CompareOp op) {
  using C = playbook::CompareOp;
  switch (op) {
    case C::lt: return Op::lt;
    case C::le: return Op::le;
    case C::gt: return Op::gt;
    case C::ge: return Op::ge;
    case C::eq: return Op::eq;
    case C::ne: return Op::ne;
  }
  return Op::eq;  // unreachable: every enumerator is handled above
}

namespace {

probe_detail::Observation check_any(const playbook::Probe& probe) {
  return std::visit(
      [&probe](const auto& check) {
        using T = std::decay_t<decltype(check)>;
        if constexpr (std::is_same_v<T, playbook::HttpProbe>) {
          return probe_detail::check_http(check, probe.timeout);
        } else if constexpr (std::is_same_v<T, playbook::CommandProbe>) {
          return probe_detail::check_command(check, probe.timeout);
        } else {
          return probe_detail::check_prometheus(check, probe.timeout);
        }
      },
      probe.check);
}

}  // namespace

ProbeResult run_probe_once(const playbook::Probe& probe) {
  ProbeResult r;
  r.probe = probe.name;
  r.start_us = unix_now_us();
  probe_detail::Observation o;
  // A failure of the checker is not an observation of the system: unknown.
  try {
    o = check_any(probe);
  } catch (const std::exception& e) {
    o = {Observed::kUnknown, std::string("the check itself failed: ") + e.what(), std::nullopt};
  } catch (...) {
    o = {Observed::kUnknown, "the check itself failed", std::nullopt};
  }
  r.end_us = unix_now_us();
  r.observed = o.observed;
  r.detail = std::move(o.detail);
  r.value = o.value;
  return r;
}

}  // namespace injector::drill

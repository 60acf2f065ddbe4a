#include "injector/flag_words.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <ostream>
#include <utility>
#include <vector>

namespace injector::cli {
namespace {

constexpr std::pair<std::string_view, std::string_view> kFlags[] = {
    {"device", "--dev"},
    {"direction", "--direction"},
    {"backend", "--backend"},
    {"control_path", "--include-control-path"},
    {"labels", "--label"},
    {"query.label", "--label"},
    {"lifetime.duration_ms", "--for"},
    {"lifetime.lease_ms", "--lease"},
    {"match.peer", "--peer"},
    {"match.to", "--to"},
    {"match.local", "--local"},
    {"match.from", "--from"},
    {"match.protocol", "--proto"},
    {"match.dport", "--dport"},
    {"match.sport", "--sport"},
    {"impairments.delay.time_us", "--delay"},
    {"impairments.delay.jitter_us", "--jitter"},
    {"impairments.delay.correlation_pct", "--delay-correlation"},
    {"impairments.delay.distribution", "--distribution"},
    {"impairments.loss.percent", "--loss"},
    {"impairments.loss.correlation_pct", "--loss-correlation"},
    {"impairments.loss.gilbert_elliott", "--gemodel"},
    {"impairments.duplicate.percent", "--duplicate"},
    {"impairments.duplicate.correlation_pct", "--duplicate-correlation"},
    {"impairments.corrupt.percent", "--corrupt"},
    {"impairments.corrupt.correlation_pct", "--corrupt-correlation"},
    {"impairments.reorder.percent", "--reorder"},
    {"impairments.reorder.correlation_pct", "--reorder-correlation"},
    {"impairments.reorder.gap", "--gap"},
    {"impairments.bandwidth.rate_bps", "--rate"},
    {"impairments.bandwidth.burst_bytes", "--burst"},
    {"impairments.flap.period_ms", "--period"},
    {"impairments.flap.down_pct", "--down"},
    {"impairments.flap.jitter_ms", "--flap-jitter"},
};

}  // namespace

std::string flag_for_field(std::string_view field) {
  // The longest table entry that is the field or a prefix of it ending at a
  // '.' or '[' ("match.to[3]", "labels.team", "impairments.loss.gilbert_elliott.p_pct").
  std::string_view best, flag;
  for (const auto& [name, f] : kFlags) {
    if (!field.starts_with(name) || name.size() <= best.size()) continue;
    if (field.size() == name.size() || field[name.size()] == '.' || field[name.size()] == '[') {
      best = name;
      flag = f;
    }
  }
  return best.empty() ? std::string(field) : std::string(flag);
}

namespace {

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

// The closest of `names` to `typed`, if close enough to be a typo (or a prefix: --device for --dev).
std::string nearest(std::string_view typed, const std::vector<std::string>& names) {
  std::string best;
  std::size_t best_distance = 3;
  for (const auto& n : names) {
    const std::size_t d = typed.starts_with(n) || n.starts_with(typed) ? 1 : edit_distance(typed, n);
    if (d < best_distance) {
      best = n;
      best_distance = d;
    }
  }
  return best;
}

// The command the user reached: the chain of parsed subcommands.
std::vector<const CLI::App*> chain(const CLI::App& app) {
  std::vector<const CLI::App*> out{&app};
  for (;;) {
    const auto subs = out.back()->get_subcommands();
    if (subs.empty()) return out;
    out.push_back(subs.front());
  }
}

}  // namespace

bool explain_unrecognised(const CLI::App& app, std::ostream& err) {
  const auto left = app.remaining(true);
  if (left.empty()) return false;
  const auto flag = std::find_if(left.begin(), left.end(), [](const std::string& a) { return a.starts_with("-"); });
  const auto commands = chain(app);
  std::string where;
  for (const auto* c : commands) where += (where.empty() ? "" : " ") + c->get_name();
  if (flag != left.end()) {
    const std::string typed = flag->substr(0, flag->find('='));
    std::vector<std::string> names;
    for (const auto* c : commands) {
      for (const auto* o : c->get_options()) {
        for (const auto& n : o->get_lnames()) names.push_back("--" + n);
      }
    }
    const std::string near = nearest(typed, names);
    err << "injector: error: unknown flag '" << typed << "' for `" << where << "`"
        << (near.empty() ? "" : "; did you mean " + near + "?") << " (see `" << where << " --help`)\n";
    return true;
  }
  std::vector<std::string> names;
  for (const auto* s : commands.back()->get_subcommands([](const CLI::App*) { return true; })) names.push_back(s->get_name());
  if (names.empty()) {
    err << "injector: error: unexpected argument '" << left.front() << "' for `" << where << "`\n";
    return true;
  }
  std::string all;
  for (const auto& n : names) all += (all.empty() ? "" : ", ") + n;
  const std::string near = nearest(left.front(), names);
  err << "injector: error: unknown command '" << left.front() << "' for `" << where << "`"
      << (near.empty() ? "" : "; did you mean `" + where + " " + near + "`?") << " (commands: " << all << ")\n";
  return true;
}

}  // namespace injector::cli

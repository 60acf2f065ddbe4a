#include "injector/run/run_actions.h"

#include "injector/drill/probes.h"

namespace injector::run {

Measured run_action(const playbook::RunAction& action) {
  playbook::Probe probe;
  probe.name = "run";
  if (const auto* c = std::get_if<playbook::RunCommand>(&action.what)) {
    probe.check = playbook::CommandProbe{c->argv, c->status, ""};
    probe.timeout = c->timeout;
  } else {
    const auto& h = std::get<playbook::RunHttp>(action.what);
    probe.check = playbook::HttpProbe{h.call, "", std::nullopt};
    probe.timeout = h.timeout;
  }
  const drill::ProbeResult r = drill::run_probe_once(probe);
  Measured m;
  m.value = r.value;
  m.detail = r.detail;
  m.result = r.observed == drill::Observed::kOk     ? Judged::pass
             : r.observed == drill::Observed::kFail ? Judged::fail
                                                    : Judged::unknown;
  return m;
}

}  // namespace injector::run

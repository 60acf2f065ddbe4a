#pragma once
// A `run` step's action (a command and its exit status, or an HTTP call and
// its status): the same checks as a probe's, made once.

#include "injector/playbook/playbook.h"
#include "injector/run/measure.h"

namespace injector::run {

Measured run_action(const playbook::RunAction& action);

}  // namespace injector::run

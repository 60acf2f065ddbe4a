#pragma once
// The impairment flags every `fault apply <kind>` and `fault update` takes, so
// kinds combine: `apply delay --delay 30ms --loss 1% --rate 10mbit`.

#include <CLI/CLI.hpp>
#include <string>

#include "common/impairments.h"

namespace injector::cli {

struct ImpairmentFlags {
  std::string delay, jitter, delay_correlation, distribution;
  std::string loss, loss_correlation, gemodel;
  std::string duplicate, duplicate_correlation;
  std::string corrupt, corrupt_correlation;
  std::string reorder, reorder_correlation, gap;
  std::string rate, burst;
  std::string period, down, flap_jitter;
};

void add_impairment_flags(CLI::App& cmd, ImpairmentFlags& f);

// The impairments the flags describe, plus `main` (the subcommand's kind:
// "delay", "loss", ..., or empty for update). Throws FieldError naming the flag.
Impairments build_impairments(const ImpairmentFlags& f, const std::string& main);

}  // namespace injector::cli

#pragma once
// history.jsonl, Jepsen-style: every payment attempt as an invoke and its
// completion (ok, fail, or info when the outcome is not known), each worker
// a process, and the drill's faults as operations of a "nemesis" process,
// in time order. Written after the run from the SentPayments, so recording
// it costs the workers nothing.

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "injector/drill/traffic.h"

namespace injector::drill {

class History {
 public:
  // run_start_us: Unix µs; "time" in the file is ns since it.
  explicit History(std::int64_t run_start_us);

  // A fault's start or stop, f "start-fault" or "stop-fault", at Unix µs.
  void add_nemesis(std::int64_t time_us, const std::string& f, nlohmann::json value);
  // One probe check: an invoke at its start and its completion (ok, fail, or
  // info when unknown) at its end, the probe a process of its own.
  void add_probe(const std::string& probe, std::int64_t start_us, std::int64_t end_us, Observed observed,
                 nlohmann::json value);

  // Writes one JSON object per line, in time order; every process's
  // operations in the order it made them. Payments that were never sent
  // have no attempt and no line. dc_of: account -> the payer's datacenter.
  void write(std::ostream& out, const std::vector<SentPayment>& payments,
             const std::function<std::string(std::int64_t account)>& dc_of) const;
  // The same to a file; throws std::runtime_error if it cannot be written.
  void write_file(const std::string& path, const std::vector<SentPayment>& payments,
                  const std::function<std::string(std::int64_t account)>& dc_of) const;

 private:
  struct Operation {
    std::int64_t time_us;
    std::int64_t order_us;  // its place in its process's sequence (a check's start)
    nlohmann::json line;    // everything but "time"
  };
  std::int64_t run_start_us_;
  std::map<std::string, std::vector<Operation>> others_;  // by process: the nemesis, each probe
};

}  // namespace injector::drill

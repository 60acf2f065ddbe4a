#pragma once
// The checks of a playbook across its parts (playbooks/README.md,
// "Validation"): unique ids and names, references to earlier steps and to
// probes, what the workload must provide, whether the steps fit the drill's
// time limit, and, given an inventory, the datacenter and host names.

#include <optional>
#include <string>
#include <vector>

#include "injector/fleet/inventory.h"
#include "injector/playbook/playbook.h"
#include "injector/playbook/vars.h"

namespace injector::playbook {

// `inventory` may be null: names are then not checked.
Errors validate_playbook(const Playbook& pb, const fleet::Inventory* inventory);

// The datacenter and host names of injects and expectations exist in the
// inventory, and the workload can find its payment API.
Errors check_inventory_names(const Playbook& pb, const fleet::Inventory& inventory);

// The shortest time the steps can take: waits, foreground injects' `for`,
// parallel groups as their longest child; wait_until, expect, run and
// background injects count as nothing.
Millis minimum_duration(const std::vector<Step>& steps);

struct CheckResult {
  std::optional<Playbook> playbook;  // set when the file could be read and parsed
  std::optional<fleet::Inventory> inventory;  // set when one was named and loaded
  Errors errors;
  std::string note;  // e.g. the playbook's inventory was not readable, so names were not checked
  bool ok() const { return errors.empty(); }
};

// What `injector playbook validate` does: read the file, apply the --var
// flags, parse, load the inventory (--inventory, else the playbook's own
// `inventory:` relative to the file) and validate. Sends nothing. The
// playbook's own inventory may be unreadable (names then go unchecked, with
// a note) unless `inventory_required` (plan), when that is an error naming it.
CheckResult check_playbook_file(const std::string& path, const std::vector<std::string>& var_flags,
                                const std::string& inventory_flag, bool inventory_required = false);

}  // namespace injector::playbook

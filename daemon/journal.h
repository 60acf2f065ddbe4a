#pragma once
// The daemon's record of what it is about to do and what it holds, in the
// state directory. Written before every kernel change (write to a temporary
// file, fsync, rename, fsync the directory) so a crash never leaves kernel
// objects of ours that no record explains.

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace injector {

// Whether a save must survive a power loss (fsync of the file and the
// directory), or only a crash of the daemon (the rename alone is atomic for
// every reader; the kernel's page cache outlives the process).
enum class Durability { power_loss, daemon_crash };

class Journal {
 public:
  explicit Journal(std::string state_dir);  // creates the directory (0700) if missing
  // Atomic; throws std::system_error.
  void save(const nlohmann::json& state, Durability durability = Durability::power_loss);
  std::optional<nlohmann::json> load() const;  // nullopt when there is no journal yet
  // Removes the journal (`injectord --cleanup`: nothing of ours is left to
  // resume); throws std::system_error.
  void clear();
  std::string path() const;

 private:
  std::string dir_;
};

}  // namespace injector

#pragma once
// The daemon's record of what it is about to do and what it holds, in the
// state directory. Written before every kernel change (write to a temporary
// file, fsync, rename, fsync the directory) so a crash never leaves kernel
// objects of ours that no record explains.

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace injector {

class Journal {
 public:
  explicit Journal(std::string state_dir);  // creates the directory (0700) if missing
  void save(const nlohmann::json& state);   // atomic; throws std::system_error
  std::optional<nlohmann::json> load() const;  // nullopt when there is no journal yet
  // Removes the journal (`injectord --cleanup`: nothing of ours is left to
  // resume); throws std::system_error.
  void clear();
  std::string path() const;

 private:
  std::string dir_;
};

}  // namespace injector

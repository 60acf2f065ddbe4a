#include "daemon/journal.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <system_error>

namespace injector {
namespace {

[[noreturn]] void fail(const std::string& what) { throw std::system_error(errno, std::generic_category(), what); }

void fsync_path(const std::string& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) fail("open " + path);
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) fail("fsync " + path);
}

}  // namespace

Journal::Journal(std::string state_dir) : dir_(std::move(state_dir)) {
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) throw std::system_error(ec, "create state directory " + dir_);
  ::chmod(dir_.c_str(), 0700);
}

std::string Journal::path() const { return dir_ + "/journal.json"; }

void Journal::save(const nlohmann::json& state, Durability durability) {
  const bool sync = durability == Durability::power_loss;
  const std::string tmp = path() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << state.dump(1) << '\n';
    out.close();
    if (!out) fail("write " + tmp);
  }
  if (sync) fsync_path(tmp, O_RDONLY);
  if (::rename(tmp.c_str(), path().c_str()) != 0) fail("rename " + tmp);
  if (sync) fsync_path(dir_, O_RDONLY | O_DIRECTORY);
}

void Journal::clear() {
  for (const std::string& file : {path() + ".tmp", path()}) {
    if (::unlink(file.c_str()) != 0 && errno != ENOENT) fail("remove " + file);
  }
  fsync_path(dir_, O_RDONLY | O_DIRECTORY);
}

std::optional<nlohmann::json> Journal::load() const {
  std::ifstream in(path());
  if (!in) return std::nullopt;
  return nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/true);
}

}  // namespace injector

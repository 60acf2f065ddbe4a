#include "injector/report/report_files.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "injector/report/junit.h"
#include "injector/report/report_html.h"
#include "injector/report/timeline_svg.h"

namespace injector::report {

namespace {

void write_file(const std::filesystem::path& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (out) out.write(content.data(), static_cast<std::streamsize>(content.size()));
  if (out) out.close();
  if (!out) throw std::runtime_error("cannot write " + path.string() + ": " + std::strerror(errno));
}

}  // namespace

void write_report_files(const std::string& dir, const nlohmann::json& report) {
  const std::filesystem::path base(dir);
  std::error_code ec;
  std::filesystem::create_directories(base, ec);
  if (ec) throw std::runtime_error("cannot create report directory " + dir + ": " + ec.message());
  // Strings from the systems under test may not be UTF-8: replace, never throw.
  write_file(base / "report.json", report.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
  write_file(base / "junit.xml", render_junit(report));
  write_file(base / "timeline.svg", render_timeline_svg(report));
  write_file(base / "report.html", render_report_html(report));
}

}  // namespace injector::report

#include "injector/report/report_files.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <unistd.h>

#include "injector/report/sample_report.h"

namespace {

namespace fs = std::filesystem;
using injector::report::write_report_files;
using injector::report::testing::sample_report;

struct TempDir {
  fs::path path = fs::temp_directory_path() / ("report_files_test." + std::to_string(::getpid()) + "." +
                                               ::testing::UnitTest::GetInstance()->current_test_info()->name());
  ~TempDir() { fs::remove_all(path); }
};

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(ReportFiles, WritesTheFourFiles) {
  TempDir t;
  const fs::path dir = t.path / "run-1";  // created, parents and all
  write_report_files(dir.string(), sample_report());
  EXPECT_EQ(nlohmann::json::parse(slurp(dir / "report.json")), sample_report());
  EXPECT_EQ(slurp(dir / "junit.xml").rfind("<?xml", 0), 0u);
  EXPECT_EQ(slurp(dir / "timeline.svg").rfind("<svg ", 0), 0u);
  EXPECT_EQ(slurp(dir / "report.html").rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(slurp(dir / "report.json").find("\n  \"datacenters\""), std::string::npos);  // pretty
}

TEST(ReportFiles, ATextThatIsNotUtf8IsReplacedNotFatal) {
  TempDir t;
  auto r = sample_report();
  r["steps"][0]["detail"] = "stdout: \xff\xfe";
  write_report_files(t.path.string(), r);
  EXPECT_NE(slurp(t.path / "report.json").find("stdout: \xEF\xBF\xBD"), std::string::npos);
}

TEST(ReportFiles, AFileThatCannotBeWrittenIsNamed) {
  TempDir t;
  fs::create_directories(t.path / "junit.xml");  // a directory where the file goes
  try {
    write_report_files(t.path.string(), sample_report());
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find((t.path / "junit.xml").string()), std::string::npos) << e.what();
  }
  EXPECT_TRUE(fs::exists(t.path / "report.json"));  // the control: the one before it was written
}

TEST(ReportFiles, ADirectoryThatCannotBeMadeIsNamed) {
  TempDir t;
  fs::create_directories(t.path);
  std::ofstream(t.path / "plain-file") << "x";
  const std::string dir = (t.path / "plain-file" / "run").string();
  try {
    write_report_files(dir, sample_report());
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(dir), std::string::npos) << e.what();
  }
}

}  // namespace

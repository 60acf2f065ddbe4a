// The daemon runs as root and promises never to run a shell or another
// program. This test holds it to that: no system(, popen(, exec*( or
// posix_spawn anywhere in daemon/ or in common/ (linked into the daemon),
// outside comments and string literals.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace {

struct Finding {
  std::string file;
  int line = 0;
  std::string name;
};

bool ident_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// Index just past a quoted literal starting at `i` (the opening quote).
std::size_t skip_quoted(std::string_view s, std::size_t i) {
  const char quote = s[i++];
  while (i < s.size() && s[i] != quote && s[i] != '\n') i += (s[i] == '\\') ? 2 : 1;
  return std::min(i + 1, s.size());
}

// Index just past R"delim( ... )delim" starting at the opening quote.
std::size_t skip_raw(std::string_view s, std::size_t i) {
  const std::size_t open = s.find('(', i);
  if (open == std::string_view::npos) return s.size();
  const std::string close = ")" + std::string(s.substr(i + 1, open - i - 1)) + "\"";
  const std::size_t end = s.find(close, open);
  return end == std::string_view::npos ? s.size() : end + close.size();
}

// Blanks comments and string/character literals (keeping newlines, so line
// numbers hold) and leaves the code. Numbers are kept whole so a digit
// separator (1'000) is not taken for a character literal.
std::string code_only(std::string_view s) {
  std::string out(s);
  auto blank = [&](std::size_t from, std::size_t to) {
    for (std::size_t k = from; k < to; ++k) if (out[k] != '\n') out[k] = ' ';
  };
  std::size_t i = 0;
  while (i < s.size()) {
    const char c = s[i];
    const char prev = i > 0 ? s[i - 1] : ' ';
    std::size_t end = i;
    if (s.substr(i, 2) == "//") {
      end = s.find('\n', i);
      if (end == std::string_view::npos) end = s.size();
    } else if (s.substr(i, 2) == "/*") {
      end = s.find("*/", i + 2);
      end = end == std::string_view::npos ? s.size() : end + 2;
    } else if (c == '"' && prev == 'R') {
      end = skip_raw(s, i);
    } else if (c == '"' || c == '\'') {
      end = skip_quoted(s, i);
    } else if (std::isdigit(static_cast<unsigned char>(c)) && !ident_char(prev)) {
      while (i < s.size() && (ident_char(s[i]) || s[i] == '.' || s[i] == '\'')) ++i;
      continue;
    } else {
      ++i;
      continue;
    }
    blank(i, end);
    i = end;
  }
  return out;
}

// Names that start another program whatever follows them (a call, or taking
// the address); `system` only when called, as boost::system is everywhere.
const std::set<std::string, std::less<>> kSpawners = {
    "popen", "execl", "execlp", "execle", "execv", "execvp", "execvpe", "execve", "execveat", "fexecve",
    "posix_spawn", "posix_spawnp"};

std::vector<Finding> forbidden_calls(std::string_view source, const std::string& file = "<snippet>") {
  const std::string code = code_only(source);
  std::vector<Finding> found;
  int line = 1;
  for (std::size_t i = 0; i < code.size();) {
    if (code[i] == '\n') ++line;
    if (!ident_char(code[i]) || (i > 0 && ident_char(code[i - 1]))) {
      ++i;
      continue;
    }
    std::size_t end = i;
    while (end < code.size() && ident_char(code[end])) ++end;
    const std::string name = code.substr(i, end - i);
    std::size_t next = end;
    while (next < code.size() && std::isspace(static_cast<unsigned char>(code[next])) && code[next] != '\n') ++next;
    const bool called = next < code.size() && code[next] == '(';
    if (kSpawners.count(name) || (name == "system" && called)) found.push_back({file, line, name});
    i = end;
  }
  return found;
}

TEST(NoExec, TheScannerFindsEveryKindOfSpawn) {
  const char* snippet =
      "int main() {\n"
      "  system(\"ls\");\n"
      "  std::system (\"ls\");\n"
      "  FILE* f = popen(\"ls\", \"r\");\n"
      "  execvp(argv[0], argv);\n"
      "  auto p = &::execve;\n"
      "  posix_spawnp(&pid, \"x\", 0, 0, argv, env);\n"
      "}\n";
  const auto found = forbidden_calls(snippet);
  ASSERT_EQ(found.size(), 6u);
  EXPECT_EQ(found[0].name, "system");
  EXPECT_EQ(found[0].line, 2);
  EXPECT_EQ(found[1].name, "system");
  EXPECT_EQ(found[2].name, "popen");
  EXPECT_EQ(found[3].name, "execvp");
  EXPECT_EQ(found[4].name, "execve");
  EXPECT_EQ(found[5].name, "posix_spawnp");
  EXPECT_EQ(found[5].line, 7);
}

TEST(NoExec, CommentsStringsAndLookalikesAreNotCalls) {
  const char* snippet =
      "// never system(\"x\") or execv(...)\n"
      "/* popen(\n   execl( */\n"
      "const char* s = \"system(\\\"rm\\\") execve(\";\n"
      "const char* r = R\"x(popen(\"a\") )\" execv()x\";\n"
      "char q = '\"'; int n = 1'000'000; char c = '(';\n"
      "boost::system::error_code ec; throw std::system_error(errno, std::system_category());\n"
      "my_system(1); execute(2); spawn(); obj.executor();\n";
  const auto found = forbidden_calls(snippet);
  EXPECT_TRUE(found.empty()) << found.front().name << " at line " << found.front().line;
  // The line count survives the blanking of multi-line comments.
  EXPECT_EQ(forbidden_calls("/* a\nb\n*/ x;\n\"s\";\nexecv(p, a);\n").at(0).line, 5);
}

// Every source file under `dir` (relative to the source tree), scanned.
int scan_tree(const std::string& dir, std::vector<Finding>& found) {
  namespace fs = std::filesystem;
  const std::set<std::string> exts = {".cpp", ".h", ".hpp", ".cc", ".c", ".ipp", ".inl", ".in"};
  int files = 0;
  for (const auto& entry : fs::recursive_directory_iterator(fs::path(INJECTOR_SOURCE_DIR) / dir)) {
    if (!entry.is_regular_file() || !exts.count(entry.path().extension().string())) continue;
    std::ifstream in(entry.path());
    std::stringstream text;
    text << in.rdbuf();
    for (auto& f : forbidden_calls(text.str(), entry.path().string())) found.push_back(std::move(f));
    ++files;
  }
  return files;
}

TEST(NoExec, NothingInDaemonRunsAProgram) {
  std::vector<Finding> found;
  const int files = scan_tree("daemon", found);
  EXPECT_GE(files, 40) << "the scan must cover daemon/ (found " << files << " files)";
  for (const auto& f : found) ADD_FAILURE() << f.file << ":" << f.line << ": " << f.name << " in daemon/";
}

// common/ is linked into the daemon (injector_common), so it makes the same promise.
TEST(NoExec, NothingInCommonRunsAProgram) {
  std::vector<Finding> found;
  const int files = scan_tree("common", found);
  EXPECT_GE(files, 20) << "the scan must cover common/ (found " << files << " files)";
  for (const auto& f : found) ADD_FAILURE() << f.file << ":" << f.line << ": " << f.name << " in common/";
}

}  // namespace

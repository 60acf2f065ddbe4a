// body_match and stdout_match with PCRE2 (why not std::regex: probe_kinds.h).

#include <algorithm>
#include <memory>

#include "injector/drill/probe_kinds.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

namespace injector::drill {

namespace {

using CodePtr = std::unique_ptr<pcre2_code, decltype(&pcre2_code_free)>;

// About 10 ms of backtracking: a pattern that needs more is not a health check.
constexpr std::uint32_t kBacktrackLimit = 100000;

std::string pcre2_message(int code) {
  PCRE2_UCHAR buf[256];
  pcre2_get_error_message(code, buf, sizeof buf);
  return std::string(reinterpret_cast<const char*>(buf));
}

// The compiled pattern, or null with `why` set.
CodePtr compile_pattern(const std::string& pattern, std::string& why) {
  int code = 0;
  PCRE2_SIZE offset = 0;
  CodePtr re(pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(), 0, &code, &offset, nullptr),
             &pcre2_code_free);
  if (!re) why = "not a valid regex: " + pcre2_message(code) + " at offset " + std::to_string(offset);
  return re;
}

}  // namespace

std::optional<std::string> regex_problem(const std::string& pattern) {
  std::string why;
  if (compile_pattern(pattern, why)) return std::nullopt;
  return why;
}

namespace probe_detail {

std::optional<bool> regex_found(const std::string& pattern, const std::string& text, std::string* why) {
  std::string reason;
  auto fail = [&why, &reason]() -> std::optional<bool> {
    if (why) *why = reason;
    return std::nullopt;
  };
  const CodePtr re = compile_pattern(pattern, reason);
  if (!re) return fail();
  const std::unique_ptr<pcre2_match_data, decltype(&pcre2_match_data_free)> md(
      pcre2_match_data_create_from_pattern(re.get(), nullptr), &pcre2_match_data_free);
  const std::unique_ptr<pcre2_match_context, decltype(&pcre2_match_context_free)> mc(
      pcre2_match_context_create(nullptr), &pcre2_match_context_free);
  if (!md || !mc) {
    reason = "out of memory";
    return fail();
  }
  pcre2_set_match_limit(mc.get(), kBacktrackLimit);
  const int rc = pcre2_match(re.get(), reinterpret_cast<PCRE2_SPTR>(text.data()), std::min(text.size(), kMatchLimit),
                             0, 0, md.get(), mc.get());
  if (rc >= 0) return true;
  if (rc == PCRE2_ERROR_NOMATCH) return false;
  reason = "the regex search gave up: " + pcre2_message(rc);
  return fail();
}

}  // namespace probe_detail

}  // namespace injector::drill

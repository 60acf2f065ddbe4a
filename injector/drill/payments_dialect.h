#pragma once
// How a payment API is spoken: the request a payment becomes, the header that
// carries its idempotency key, how an answer is read, and where the ledger
// snapshot and the unit map are. The default is the sample system's API
// (payments/README.md); a user points the workload at their own API by
// changing it (playbooks/README.md, workload.payments).

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace injector::drill {

struct PaymentRequest;

// What a value needs to be safe where a template puts it.
enum class Escape { kNone, kJson, kUrl };

// Text with {{from}}, {{to}}, {{amount_minor}}, {{currency}} and {{key}},
// parsed once so rendering a payment is a few appends.
class Template {
 public:
  Template() = default;
  // Throws std::invalid_argument naming the first unknown placeholder.
  explicit Template(const std::string& text);
  std::string render(const PaymentRequest& r, const std::string& key, Escape escape) const;
  const std::string& text() const { return text_; }

 private:
  enum class Field { kLiteral, kFrom, kTo, kAmount, kCurrency, kKey };
  std::string text_;
  std::vector<std::pair<Field, std::string>> pieces_;
};

// The placeholders a template may use, for messages.
const char* placeholder_names();

// An inclusive range of HTTP status codes.
struct StatusSpan {
  int low = 0, high = 0;
};
bool status_in(const std::vector<StatusSpan>& spans, int status);

// A compiled PCRE2 pattern, shared by copies (the workload's connections).
class BodyMatch {
 public:
  BodyMatch() = default;
  // Throws std::invalid_argument when the pattern does not compile.
  explicit BodyMatch(const std::string& pattern);
  bool empty() const { return !code_; }
  bool found_in(const std::string& text) const;  // false when empty
  const std::string& pattern() const { return pattern_; }

 private:
  std::string pattern_;
  std::shared_ptr<void> code_;
};

struct PaymentsDialect {
  PaymentsDialect();  // the sample system's API

  std::string method = "POST";
  Template path;
  std::vector<std::pair<std::string, Template>> headers;
  Template body;
  std::string idempotency_header = "Idempotency-Key";  // empty: the key only goes where {{key}} is
  // Acknowledged answers: ok_status; of those, declined when declined_status
  // has the status or declined_body is found in the body; the others applied.
  std::vector<StatusSpan> ok_status{{200, 299}};
  std::vector<StatusSpan> declined_status{{402, 402}};
  BodyMatch declined_body;
  std::vector<StatusSpan> retry_status{{409, 409}, {421, 421}, {429, 429}, {500, 599}};
  std::string served_by_header = "X-Served-By";  // empty: not read
  std::string snapshot = "/v1/ledger/snapshot";  // empty: no ledger to check
  std::string units = "/v1/units";               // empty: no unit map
};

// One shared default (it holds a compiled pattern: not built per call).
const PaymentsDialect& sample_dialect();

// The sample's request body, byte for byte what the workload always sent.
extern const char* const kSampleBody;
extern const char* const kSampleDeclinedBody;

}  // namespace injector::drill

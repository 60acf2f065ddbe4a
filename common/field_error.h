#pragma once
// The one error type for bad input, from the CLI to the daemon's API: it names
// the field, says what was wrong and what is allowed, so every layer can print
// or serialise the same three facts.

#include <stdexcept>
#include <string>

namespace injector {

class FieldError : public std::invalid_argument {
 public:
  FieldError(std::string field, const std::string& message, std::string allowed = {})
      : std::invalid_argument(field + ": " + message + (allowed.empty() ? "" : " (allowed: " + allowed + ")")),
        field_(std::move(field)),
        message_(message),
        allowed_(std::move(allowed)) {}

  const std::string& field() const noexcept { return field_; }
  const std::string& message() const noexcept { return message_; }
  const std::string& allowed() const noexcept { return allowed_; }

  // The same error for a field nested under `prefix` ("match" + "to[2]" -> "match.to[2]").
  FieldError nested_under(const std::string& prefix) const {
    return FieldError(prefix + (field_.empty() || field_[0] == '[' ? "" : ".") + field_, message_, allowed_);
  }

 private:
  std::string field_;
  std::string message_;
  std::string allowed_;
};

}  // namespace injector

#pragma once
// Minimal blocking HTTP/1.1 client for the CLI: one request per connection.

#include <chrono>
#include <stdexcept>
#include <string>
#include <string_view>

namespace injector::client {

// A daemon address in --daemon syntax. Today only "unix:/path/to.sock".
struct Endpoint {
  std::string unix_path;
  static Endpoint parse(std::string_view text);  // throws std::invalid_argument with a clear message
  std::string to_string() const;
};

// The daemon could not be reached (no socket, refused, timed out, connection dropped).
class UnreachableError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct HttpResult {
  int status = 0;
  std::string body;
};

HttpResult http_request(const Endpoint& endpoint, std::string_view method, std::string_view target,
                        std::string_view body = {},
                        std::chrono::milliseconds timeout = std::chrono::seconds(30));

}  // namespace injector::client

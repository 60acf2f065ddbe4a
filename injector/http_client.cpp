#include "injector/http_client.h"

#include <sys/un.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <cstdint>
#include <optional>
#include <utility>

namespace injector::client {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using Local = net::local::stream_protocol;
using ErrorCode = boost::system::error_code;

constexpr std::string_view kUnixPrefix = "unix:";
constexpr std::string_view kExpected = "expected unix:/PATH (e.g. unix:/run/injector/injectord.sock)";
// The daemon is trusted; this only stops a broken peer from eating all memory.
constexpr std::uint64_t kMaxResponseBody = 256ull * 1024 * 1024;

// One request/response on a private io_context. The caller runs that context
// for at most the timeout, so no single step can block past the deadline.
class Exchange {
 public:
  explicit Exchange(bhttp::request<bhttp::string_body> request)
      : socket_(io_), request_(std::move(request)) {
    parser_.body_limit(kMaxResponseBody);
  }

  // Returns the error text if the exchange failed, nothing on success.
  std::optional<std::string> run(const std::string& path, std::chrono::milliseconds timeout) {
    socket_.async_connect(Local::endpoint(path), [this](ErrorCode ec) { on_connect(ec); });
    io_.run_for(timeout);
    if (!done_) {
      abandoned_ = true;
      ErrorCode ignored;
      socket_.close(ignored);
      io_.restart();
      io_.run();  // let the aborted operations finish before we go away
      return "no response within " + std::to_string(timeout.count()) + " ms";
    }
    return failure_;
  }

  const bhttp::response<bhttp::string_body>& response() const { return parser_.get(); }

 private:
  void fail(std::string why) {
    done_ = true;
    failure_ = std::move(why);
  }

  void on_connect(ErrorCode ec) {
    if (abandoned_) return;
    if (ec) return fail(ec.message());
    bhttp::async_write(socket_, request_, [this](ErrorCode wec, std::size_t) { on_written(wec); });
  }

  void on_written(ErrorCode ec) {
    if (abandoned_) return;
    // The daemon may refuse a request (413) and close before reading all of
    // it; its answer is still waiting in our receive queue.
    const bool refused = ec == net::error::broken_pipe || ec == net::error::connection_reset;
    if (ec && !refused) return fail("sending request: " + ec.message());
    write_error_ = ec;
    bhttp::async_read(socket_, buffer_, parser_, [this](ErrorCode rec, std::size_t) { on_read(rec); });
  }

  void on_read(ErrorCode ec) {
    if (abandoned_) return;
    if (!ec) {
      done_ = true;
      return;
    }
    if (write_error_) return fail("sending request: " + write_error_.message());
    if (ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message) {
      return fail("connection closed before a complete response");
    }
    fail("reading response: " + ec.message());
  }

  net::io_context io_;
  Local::socket socket_;
  bhttp::request<bhttp::string_body> request_;
  beast::flat_buffer buffer_;
  bhttp::response_parser<bhttp::string_body> parser_;
  ErrorCode write_error_;
  std::optional<std::string> failure_;
  bool done_ = false;
  bool abandoned_ = false;
};

}  // namespace

Endpoint Endpoint::parse(std::string_view text) {
  const auto fail = [text](std::string_view why) {
    return std::invalid_argument("daemon endpoint '" + std::string(text) + "': " + std::string(why));
  };
  if (text.substr(0, kUnixPrefix.size()) != kUnixPrefix) throw fail(kExpected);
  const std::string_view path = text.substr(kUnixPrefix.size());
  if (path.empty()) throw fail("empty socket path; " + std::string(kExpected));
  if (path.find('\0') != std::string_view::npos) throw fail("socket path contains a NUL byte");
  // The kernel's limit for sockaddr_un, minus the terminating NUL.
  if (path.size() >= sizeof(sockaddr_un::sun_path)) {
    throw fail("socket path is longer than " + std::to_string(sizeof(sockaddr_un::sun_path) - 1) +
               " bytes");
  }
  return Endpoint{std::string(path)};
}

std::string Endpoint::to_string() const { return std::string(kUnixPrefix) + unix_path; }

HttpResult http_request(const Endpoint& endpoint, std::string_view method, std::string_view target,
                        std::string_view body, std::chrono::milliseconds timeout) {
  bhttp::request<bhttp::string_body> req;
  req.version(11);
  req.method_string(beast::string_view(method.data(), method.size()));
  req.target(beast::string_view(target.data(), target.size()));
  req.set(bhttp::field::host, "injectord");
  req.set(bhttp::field::connection, "close");
  if (!body.empty()) req.set(bhttp::field::content_type, "application/json");
  req.body() = std::string(body);
  req.prepare_payload();

  const std::string where = "cannot reach daemon at " + endpoint.to_string() + ": ";
  try {
    Exchange exchange(std::move(req));
    if (auto failure = exchange.run(endpoint.unix_path, timeout)) throw UnreachableError(where + *failure);
    return HttpResult{static_cast<int>(exchange.response().result_int()), exchange.response().body()};
  } catch (const boost::system::system_error& e) {  // e.g. a path too long for sockaddr_un
    throw UnreachableError(where + e.code().message());
  }
}

}  // namespace injector::client

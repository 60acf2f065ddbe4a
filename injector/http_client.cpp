#include "injector/http_client.h"

#include <sys/un.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <charconv>
#include <cstdint>
#include <optional>
#include <type_traits>
#include <utility>

#include "injector/tls_transport.h"
#include "common/strings.h"

namespace injector::client {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using Local = net::local::stream_protocol;
using ErrorCode = boost::system::error_code;

constexpr std::string_view kUnixPrefix = "unix:";
constexpr std::string_view kHttpsPrefix = "https://";
constexpr std::string_view kExpected =
    "expected unix:/PATH (e.g. unix:/run/injector/injectord.sock) or https://HOST:PORT";
// The daemon is trusted; this only stops a broken peer from eating all memory.
constexpr std::uint64_t kMaxResponseBody = 256ull * 1024 * 1024;

class UnixTransport {
 public:
  UnixTransport(net::io_context& io, const Endpoint& endpoint) : socket_(io), path_(endpoint.unix_path) {}
  Local::socket& stream() { return socket_; }
  template <class Done>
  void async_open(Done done) {
    socket_.async_connect(Local::endpoint(path_), std::move(done));
  }
  void close() {
    ErrorCode ignored;
    socket_.close(ignored);
  }

 private:
  Local::socket socket_;
  std::string path_;
};

// One request/response on a private io_context. The caller runs that context
// for at most the timeout, so no single step can block past the deadline.
template <class Transport>
class Exchange {
 public:
  Exchange(net::io_context& io, Transport& transport, bhttp::request<bhttp::string_body> request)
      : io_(io), transport_(transport), request_(std::move(request)) {
    parser_.body_limit(kMaxResponseBody);
  }

  // Returns the error text if the exchange failed, nothing on success.
  std::optional<std::string> run(std::chrono::milliseconds timeout) {
    transport_.async_open([this](ErrorCode ec) { on_connect(ec); });
    io_.run_for(timeout);
    if (!done_) {
      abandoned_ = true;
      transport_.close();
      io_.restart();
      io_.run();  // let the aborted operations finish before we go away
      return "no response within " + std::to_string(timeout.count()) + " ms";
    }
    return failure_;
  }

  const bhttp::response<bhttp::string_body>& response() const { return parser_.get(); }
  ErrorCode error() const { return error_; }  // what failed, when something did

 private:
  void fail(std::string why, ErrorCode ec) {
    done_ = true;
    failure_ = std::move(why);
    error_ = ec;
  }

  void on_connect(ErrorCode ec) {
    if (abandoned_) return;
    if (ec) return fail(ec.message(), ec);
    bhttp::async_write(transport_.stream(), request_, [this](ErrorCode wec, std::size_t) { on_written(wec); });
  }

  void on_written(ErrorCode ec) {
    if (abandoned_) return;
    // The daemon may refuse a request (413) and close before reading all of
    // it; its answer is still waiting in our receive queue.
    const bool refused = ec == net::error::broken_pipe || ec == net::error::connection_reset;
    if (ec && !refused) return fail("sending request: " + ec.message(), ec);
    write_error_ = ec;
    bhttp::async_read(transport_.stream(), buffer_, parser_, [this](ErrorCode rec, std::size_t) { on_read(rec); });
  }

  void on_read(ErrorCode ec) {
    if (abandoned_) return;
    if (!ec) {
      done_ = true;
      return;
    }
    if (write_error_) return fail("sending request: " + write_error_.message(), ec);
    if (ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message) {
      return fail("connection closed before a complete response", ec);
    }
    fail("reading response: " + ec.message(), ec);
  }

  net::io_context& io_;
  Transport& transport_;
  bhttp::request<bhttp::string_body> request_;
  beast::flat_buffer buffer_;
  bhttp::response_parser<bhttp::string_body> parser_;
  ErrorCode write_error_;
  ErrorCode error_;
  std::optional<std::string> failure_;
  bool done_ = false;
  bool abandoned_ = false;
};

Endpoint parse_unix(std::string_view text, std::string_view path, const TlsFiles& tls) {
  const auto fail = [text](std::string_view why) {
    return std::invalid_argument("daemon endpoint " + quote_input(text) + ": " + std::string(why));
  };
  if (path.empty()) throw fail("empty socket path; " + std::string(kExpected));
  if (path.find('\0') != std::string_view::npos) throw fail("socket path contains a NUL byte");
  // The kernel's limit for sockaddr_un, minus the terminating NUL.
  if (path.size() >= sizeof(sockaddr_un::sun_path)) {
    throw fail("socket path is longer than " + std::to_string(sizeof(sockaddr_un::sun_path) - 1) + " bytes");
  }
  for (const auto& [flag, value] : {std::pair{"--cert", &tls.cert}, {"--key", &tls.key}, {"--ca", &tls.ca}}) {
    if (!value->empty()) throw fail(std::string(flag) + " is only for https:// daemons");
  }
  return Endpoint{std::string(path), {}, 0, {}};
}

Endpoint parse_https(std::string_view text, std::string_view rest, TlsFiles tls) {
  const auto fail = [text](std::string_view why) {
    return std::invalid_argument("daemon endpoint " + quote_input(text) + ": " + std::string(why));
  };
  if (rest.ends_with('/')) rest.remove_suffix(1);
  std::string_view host;
  std::string_view port;
  if (rest.starts_with('[')) {
    const auto close = rest.find(']');
    if (close == std::string_view::npos || rest.substr(close + 1, 1) != ":") throw fail("expected https://[IPv6]:PORT");
    host = rest.substr(1, close - 1);
    port = rest.substr(close + 2);
    ErrorCode ec;
    net::ip::make_address_v6(std::string(host), ec);
    if (ec) throw fail(quote_input(host) + " is not an IPv6 address");
  } else {
    const auto colon = rest.rfind(':');
    if (colon == std::string_view::npos) throw fail("no port; expected https://HOST:PORT, e.g. https://10.0.0.5:8443");
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) throw fail("an IPv6 address goes in brackets: https://[::1]:8443");
    if (host.find_first_of("/?#@ ") != std::string_view::npos) throw fail("expected https://HOST:PORT, nothing else");
  }
  if (host.empty()) throw fail("no host; expected https://HOST:PORT");
  unsigned value = 0;
  const auto [end, err] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || err != std::errc() || end != port.data() + port.size() || value < 1 || value > 65535) {
    throw fail("port " + quote_input(port) + " is not 1-65535");
  }
  const std::pair<const char*, const char*> needed[] = {
      {"--cert", "our client certificate, PEM"}, {"--key", "its private key, PEM"}, {"--ca", "the daemon's CA, PEM"}};
  const std::string* given[] = {&tls.cert, &tls.key, &tls.ca};
  for (std::size_t i = 0; i < 3; ++i) {
    if (given[i]->empty()) throw fail(std::string("https needs ") + needed[i].first + " (" + needed[i].second + ")");
  }
  return Endpoint{{}, std::string(host), static_cast<std::uint16_t>(value), std::move(tls)};
}

template <class Transport>
HttpResult exchange(const Endpoint& endpoint, bhttp::request<bhttp::string_body> req, std::chrono::milliseconds timeout) {
  const std::string where = "cannot reach daemon at " + endpoint.to_string() + ": ";
  net::io_context io;
  Transport transport(io, endpoint);
  Exchange<Transport> ex(io, transport, std::move(req));
  try {
    if (auto failure = ex.run(timeout)) {
      if constexpr (std::is_same_v<Transport, TlsTransport>) transport.raise_if_certificate_error(ex.error());
      throw UnreachableError(where + *failure);
    }
  } catch (const boost::system::system_error& e) {  // e.g. a path too long for sockaddr_un
    throw UnreachableError(where + e.code().message());
  }
  return HttpResult{static_cast<int>(ex.response().result_int()), ex.response().body()};
}

}  // namespace

Endpoint Endpoint::parse(std::string_view text, TlsFiles tls) {
  if (text.starts_with(kUnixPrefix)) return parse_unix(text, text.substr(kUnixPrefix.size()), tls);
  if (text.starts_with(kHttpsPrefix)) return parse_https(text, text.substr(kHttpsPrefix.size()), std::move(tls));
  if (text.starts_with("http://")) {
    throw std::invalid_argument("daemon endpoint " + quote_input(text) +
                                ": plain http is not served; use https://HOST:PORT with --cert, --key and --ca");
  }
  throw std::invalid_argument("daemon endpoint " + quote_input(text) + ": " + std::string(kExpected));
}

std::string Endpoint::to_string() const {
  if (!is_https()) return std::string(kUnixPrefix) + unix_path;
  const bool v6 = host.find(':') != std::string::npos;
  return std::string(kHttpsPrefix) + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

HttpResult http_request(const Endpoint& endpoint, std::string_view method, std::string_view target,
                        std::string_view body, std::chrono::milliseconds timeout) {
  bhttp::request<bhttp::string_body> req;
  req.version(11);
  req.method_string(beast::string_view(method.data(), method.size()));
  req.target(beast::string_view(target.data(), target.size()));
  req.set(bhttp::field::host, endpoint.is_https() ? endpoint.host : "injectord");
  req.set(bhttp::field::connection, "close");
  if (!body.empty()) req.set(bhttp::field::content_type, "application/json");
  req.body() = std::string(body);
  req.prepare_payload();
  if (endpoint.is_https()) return exchange<TlsTransport>(endpoint, std::move(req), timeout);
  return exchange<UnixTransport>(endpoint, std::move(req), timeout);
}

}  // namespace injector::client

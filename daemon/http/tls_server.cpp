#include "daemon/http/tls_server.h"

#include <boost/asio/ip/v6_only.hpp>
#include <stdexcept>
#include <system_error>
#include <utility>

#include "daemon/http/session.h"

namespace injector::http {
namespace {

namespace net = boost::asio;
using Tcp = net::ip::tcp;
using State = Listener<Tcp>;

}  // namespace

std::optional<TlsListenConfig> tls_listen_config(const std::string& listen, const TlsFiles& files) {
  const std::pair<const char*, const std::string*> needed[] = {
      {"--tls-cert", &files.cert}, {"--tls-key", &files.key}, {"--client-ca", &files.client_ca}};
  if (listen.empty()) {
    for (const auto& [flag, value] : needed) {
      if (!value->empty()) throw std::invalid_argument(std::string(flag) + " needs --listen ADDR:PORT (the TLS API)");
    }
    return std::nullopt;
  }
  for (const auto& [flag, value] : needed) {
    if (value->empty()) {
      throw std::invalid_argument("--listen needs " + std::string(flag) +
                                  ": the TCP API is served only with mutual TLS (--tls-cert, --tls-key, --client-ca)");
    }
  }
  return TlsListenConfig{TcpAddress::parse(listen, "--listen"), files};
}

struct TlsHttpServer::Impl {
  std::shared_ptr<State> state;
  net::ssl::context* context = nullptr;
};

TlsHttpServer::TlsHttpServer(net::io_context& io, TlsServerOptions options, net::ssl::context& context, Handler handler,
                             RefusalHandler refused)
    : impl_(std::make_unique<Impl>()) {
  impl_->context = &context;
  impl_->state = std::make_shared<State>(io, "tls", options.max_body_bytes, options.max_header_bytes,
                                         options.connection_limits, options.stats, std::move(handler), std::move(refused));
  auto& acceptor = impl_->state->acceptor;
  try {
    const Tcp::endpoint endpoint(net::ip::make_address(options.listen.address), options.listen.port);
    acceptor.open(endpoint.protocol());
    acceptor.set_option(net::socket_base::reuse_address(true));
    // The address given is exactly where it listens: [::] does not take IPv4 too.
    if (endpoint.protocol() == Tcp::v6()) acceptor.set_option(net::ip::v6_only(true));
    acceptor.bind(endpoint);
    acceptor.listen(net::socket_base::max_listen_connections);
  } catch (const boost::system::system_error& e) {
    throw std::system_error(e.code().value(), std::system_category(),
                            "cannot listen on " + options.listen.to_string() + " (--listen)");
  }
  net::ssl::context* ctx = impl_->context;
  accept_loop(impl_->state, [host = impl_->state, ctx](Tcp::socket socket) { serve_tls(host, std::move(socket), *ctx); });
}

TlsHttpServer::~TlsHttpServer() {
  try {
    stop();
  } catch (...) {  // a destructor must not throw; stop() is best effort here
  }
}

void TlsHttpServer::stop() {
  if (!impl_ || impl_->state->stopped) return;
  impl_->state->stop();
}

TcpAddress TlsHttpServer::local_address() const {
  boost::system::error_code ec;
  const auto e = impl_->state->acceptor.local_endpoint(ec);
  if (ec) return {};
  return {e.address().to_string(), e.port()};
}

}  // namespace injector::http

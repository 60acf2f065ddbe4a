#pragma once
// The CLI's side of mutual TLS (--daemon https://HOST:PORT --cert --key
// --ca): TLS 1.2 or newer, the daemon's certificate verified against --ca
// and against HOST (a name or an IP address), our certificate presented.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <functional>
#include <memory>

#include "injector/http_client.h"

namespace injector::client {

class TlsTransport {
 public:
  using Stream = boost::asio::ssl::stream<boost::asio::ip::tcp::socket>;
  using Done = std::function<void(boost::system::error_code)>;

  // Loads --cert, --key and --ca now; throws std::invalid_argument naming
  // the flag whose file cannot be used.
  TlsTransport(boost::asio::io_context& io, const Endpoint& endpoint);

  Stream& stream() { return *stream_; }
  void async_open(Done done);  // resolve, connect, handshake
  void close();

  // Throws UntrustedDaemonError or CertificateRefusedError when `ec` (from
  // any step) was a certificate failure on either side; returns otherwise.
  void raise_if_certificate_error(const boost::system::error_code& ec) const;

 private:
  void on_resolved(const boost::system::error_code& ec, const boost::asio::ip::tcp::resolver::results_type& results);

  const Endpoint& endpoint_;
  std::unique_ptr<boost::asio::ssl::context> context_;
  boost::asio::ip::tcp::resolver resolver_;
  std::unique_ptr<Stream> stream_;
  Done done_;
};

}  // namespace injector::client

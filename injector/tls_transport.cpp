#include "injector/tls_transport.h"

#include "common/tls_load.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/address.hpp>
#include <string>

namespace injector::client {
namespace {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
using ErrorCode = boost::system::error_code;

std::unique_ptr<ssl::context> client_context(const TlsFiles& files) {
  auto ctx = std::make_unique<ssl::context>(ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_compression);
  load_tls_file("--ca", files.ca, "CA certificates", [&] { ctx->load_verify_file(files.ca); });
  load_tls_file("--cert", files.cert, "the client certificate", [&] { ctx->use_certificate_chain_file(files.cert); });
  load_tls_file("--key", files.key, "the private key", [&] { ctx->use_private_key_file(files.key, ssl::context::pem); });
  if (SSL_CTX_check_private_key(ctx->native_handle()) != 1) {
    ERR_clear_error();
    throw std::invalid_argument("--key " + files.key + ": does not match the certificate in --cert " + files.cert);
  }
  ctx->set_verify_mode(ssl::verify_peer);
  return ctx;
}

// The alerts a server sends when it does not accept the certificate we presented.
bool refuses_our_certificate(const ErrorCode& ec) {
  if (ec.category() != net::error::get_ssl_category()) return false;
  switch (ERR_GET_REASON(static_cast<unsigned long>(ec.value()))) {
    case SSL_R_SSLV3_ALERT_BAD_CERTIFICATE:
    case SSL_R_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_REVOKED:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_EXPIRED:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_UNKNOWN:
    case SSL_R_TLSV1_ALERT_UNKNOWN_CA:
    case SSL_R_TLSV1_ALERT_ACCESS_DENIED:
    case SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED:
      return true;
    default:
      return false;
  }
}

}  // namespace

TlsTransport::TlsTransport(net::io_context& io, const Endpoint& endpoint)
    : endpoint_(endpoint), context_(client_context(endpoint.tls)), resolver_(io),
      stream_(std::make_unique<Stream>(io, *context_)) {
  SSL* ssl = stream_->native_handle();
  ErrorCode ec;
  net::ip::make_address(endpoint.host, ec);
  // The daemon's certificate must name what we dialled: an IP SAN for an
  // address, a DNS SAN (and SNI) for a name.
  if (!ec) {
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), endpoint.host.c_str());
  } else {
    SSL_set1_host(ssl, endpoint.host.c_str());
    SSL_set_tlsext_host_name(ssl, endpoint.host.c_str());
  }
}

void TlsTransport::async_open(Done done) {
  done_ = std::move(done);
  resolver_.async_resolve(endpoint_.host, std::to_string(endpoint_.port),
                          [this](const ErrorCode& ec, const net::ip::tcp::resolver::results_type& results) {
                            on_resolved(ec, results);
                          });
}

void TlsTransport::on_resolved(const ErrorCode& ec, const net::ip::tcp::resolver::results_type& results) {
  if (ec) return done_(ec);
  net::async_connect(stream_->lowest_layer(), results, [this](const ErrorCode& cec, const net::ip::tcp::endpoint&) {
    if (cec) return done_(cec);
    stream_->async_handshake(ssl::stream_base::client, [this](const ErrorCode& hec) { done_(hec); });
  });
}

void TlsTransport::close() {
  resolver_.cancel();
  ErrorCode ignored;
  stream_->lowest_layer().close(ignored);
}

void TlsTransport::raise_if_certificate_error(const ErrorCode& ec) const {
  const long verify = SSL_get_verify_result(stream_->native_handle());
  if (verify != X509_V_OK) {
    throw UntrustedDaemonError("the daemon at " + endpoint_.to_string() + " is not trusted: its certificate failed "
                               "verification against --ca " + endpoint_.tls.ca + " for " + endpoint_.host + ": " +
                               X509_verify_cert_error_string(verify));
  }
  if (refuses_our_certificate(ec)) {
    throw CertificateRefusedError("the daemon at " + endpoint_.to_string() + " refused our client certificate (--cert " +
                                  endpoint_.tls.cert + "): " + ec.message() +
                                  "; it must be signed by the CA the daemon was given as --client-ca");
  }
}

}  // namespace injector::client

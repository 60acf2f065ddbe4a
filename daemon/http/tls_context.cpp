#include "daemon/http/tls_context.h"

#include "common/tls_load.h"

#include <openssl/bio.h>
#include <openssl/err.h>

#include <stdexcept>

namespace injector::http {
namespace {

namespace ssl = boost::asio::ssl;

}  // namespace

std::unique_ptr<ssl::context> make_server_context(const TlsFiles& files) {
  auto ctx = std::make_unique<ssl::context>(ssl::context::tls_server);
  SSL_CTX* native = ctx->native_handle();
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_compression | ssl::context::single_dh_use);
  // Every connection does a full handshake, so every request's identity comes
  // from a certificate verified now (no session resumption to reason about).
  SSL_CTX_set_session_cache_mode(native, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_options(native, SSL_OP_NO_TICKET);
  load_tls_file("--tls-cert", files.cert, "the certificate chain", [&] { ctx->use_certificate_chain_file(files.cert); });
  load_tls_file("--tls-key", files.key, "the private key", [&] { ctx->use_private_key_file(files.key, ssl::context::pem); });
  if (SSL_CTX_check_private_key(native) != 1) {
    ERR_clear_error();
    throw std::invalid_argument("--tls-key " + files.key + ": does not match the certificate in --tls-cert " + files.cert);
  }
  load_tls_file("--client-ca", files.client_ca, "CA certificates", [&] { ctx->load_verify_file(files.client_ca); });
  // Tell clients which CA we accept, so one holding several certificates picks the right one.
  if (STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(files.client_ca.c_str())) {
    SSL_CTX_set_client_CA_list(native, names);
  } else {
    ERR_clear_error();
    throw std::invalid_argument("--client-ca " + files.client_ca + ": holds no CA certificate (PEM)");
  }
  ctx->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
  return ctx;
}

std::string rfc2253_subject(const X509_NAME* name) {
  if (!name) return "";
  BIO* bio = BIO_new(BIO_s_mem());
  if (!bio) return "";
  X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  std::string out(data, n > 0 ? static_cast<std::size_t>(n) : 0);
  BIO_free(bio);
  return out;
}

std::optional<std::string> verified_subject(SSL* ssl) {
  if (!ssl || SSL_get_verify_result(ssl) != X509_V_OK) return std::nullopt;
  X509* cert = SSL_get0_peer_certificate(ssl);
  if (!cert) return std::nullopt;
  return rfc2253_subject(X509_get_subject_name(cert));
}

std::string handshake_failure(const boost::system::error_code& ec, SSL* ssl) {
  std::string reason = ec.message();
  if (ssl) {
    const long verify = SSL_get_verify_result(ssl);
    if (verify != X509_V_OK) reason += " (client certificate: " + std::string(X509_verify_cert_error_string(verify)) + ")";
  }
  return reason;
}

}  // namespace injector::http

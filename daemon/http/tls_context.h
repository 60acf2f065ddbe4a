#pragma once
// The TLS side of the API (--listen): the server's OpenSSL context, and who a
// verified client is. The client CA (--client-ca) is the authorization
// boundary: every certificate it signed may use the whole API.

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <boost/asio/ssl/context.hpp>
#include <boost/system/error_code.hpp>
#include <memory>
#include <optional>
#include <string>

namespace injector::http {

struct TlsFiles {
  std::string cert;       // --tls-cert: the server's certificate chain, PEM
  std::string key;        // --tls-key: its private key, PEM
  std::string client_ca;  // --client-ca: the CA(s) whose client certificates are served, PEM
};

// TLS 1.2 at least (1.3 preferred), client certificate required and verified
// against the client CA. Loads every file now; throws std::invalid_argument
// naming the flag and the file that could not be used.
std::unique_ptr<boost::asio::ssl::context> make_server_context(const TlsFiles& files);

// One line, RFC 2253 (most specific first, special characters escaped), e.g.
// "CN=ci-runner,O=payments".
std::string rfc2253_subject(const X509_NAME* name);

// The subject of the client certificate this handshake verified; nothing
// when verification did not succeed or no certificate was sent.
std::optional<std::string> verified_subject(SSL* ssl);

// Why a handshake failed, for the log and the audit: OpenSSL's reason, and
// the certificate check that failed when there was one.
std::string handshake_failure(const boost::system::error_code& ec, SSL* ssl);

}  // namespace injector::http

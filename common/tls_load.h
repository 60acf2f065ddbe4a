#pragma once
// Loading certificate and key files into an OpenSSL context (Boost.Asio ssl),
// shared by the daemon's TLS server and the CLI's TLS client: a failure names
// the flag, the file and OpenSSL's reason.

#include <boost/system/system_error.hpp>
#include <stdexcept>
#include <string>

namespace injector {

// Runs one loading step (e.g. ctx.use_certificate_chain_file(path)).
template <class Step>
void load_tls_file(const char* flag, const std::string& path, const char* what, Step step) {
  try {
    step();
  } catch (const boost::system::system_error& e) {
    throw std::invalid_argument(std::string(flag) + " " + path + ": cannot load " + what + ": " + e.code().message());
  }
}

}  // namespace injector

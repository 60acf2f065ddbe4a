#pragma once
// Base64 for the etcd v3 JSON gateway, which carries keys and values as
// base64 strings (protobuf `bytes` fields). Uses OpenSSL's encoder.

#include <string>
#include <string_view>

namespace payments {

std::string base64_encode(std::string_view raw);
// Throws std::invalid_argument on malformed input.
std::string base64_decode(std::string_view text);

}  // namespace payments

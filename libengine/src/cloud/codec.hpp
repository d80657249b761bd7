// Byte codecs the cloud transport needs: gzip for request bodies and
// base64 for config.json's balenaRootCA, percent-encoding for query values. Private to engine_cloud.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace engine::cloud::detail {

// gzip (RFC 1952) of `data`; nullopt only when zlib fails (out of memory).
[[nodiscard]] std::optional<std::string> gzip_compress(std::string_view data);

// Standard base64 (RFC 4648, '=' padding optional, whitespace ignored);
// nullopt on any other character.
[[nodiscard]] std::optional<std::string> base64_decode(std::string_view text);

// Percent-encodes everything but RFC 3986 unreserved characters, for a
// value inside a URL query.
[[nodiscard]] std::string percent_encode(std::string_view text);

}  // namespace engine::cloud::detail

// CRC-32 for the state copy's header (state_copy.hpp). Written here rather
// than taken from zlib: twenty lines do not justify a new dependency.
#pragma once

#include <cstdint>
#include <string_view>

namespace engine::store::detail {

// CRC-32/ISO-HDLC (polynomial 0xEDB88320 reflected, as zlib's crc32(),
// PNG and gzip): crc32("123456789") == 0xCBF43926. It detects every burst
// error up to 32 bits and all but 2^-32 of the rest, which is what a torn
// write or a scribbled sector looks like; it is no defence against an
// attacker, who could rewrite the database as easily.
[[nodiscard]] std::uint32_t crc32(std::string_view bytes);

}  // namespace engine::store::detail

// libFuzzer target: the bytes as one raw request to the local API (the first byte picks local mode).
#include <cstddef>
#include <cstdint>

#include "engine_entry_points.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  reconcile::fuzz::local_api({reinterpret_cast<const char*>(data), size});
  return 0;
}

// libFuzzer target: the target-state parsers (cloud v3, local v2).
#include <cstddef>
#include <cstdint>

#include "entry_points.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  reconcile::fuzz::parse_target_state({reinterpret_cast<const char*>(data), size});
  return 0;
}

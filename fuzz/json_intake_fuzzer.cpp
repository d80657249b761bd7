// libFuzzer target: the bytes as JSON text from outside, then as a cloud v3 and a local target.
#include <cstddef>
#include <cstdint>

#include "engine_entry_points.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  reconcile::fuzz::json_intake({reinterpret_cast<const char*>(data), size});
  return 0;
}

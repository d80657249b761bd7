// libFuzzer target: the bytes as the engine's JSON stream (inspect, list, events, pull progress).
#include <cstddef>
#include <cstdint>

#include "engine_entry_points.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  reconcile::fuzz::engine_json({reinterpret_cast<const char*>(data), size});
  return 0;
}

// libFuzzer target: the bytes as the cloud's HTTP answer to a poll, a registration and a lookup.
#include <cstddef>
#include <cstdint>

#include "engine_entry_points.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  reconcile::fuzz::cloud_answer({reinterpret_cast<const char*>(data), size});
  return 0;
}

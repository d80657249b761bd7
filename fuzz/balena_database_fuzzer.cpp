// libFuzzer target: the bytes as the balena supervisor's database.sqlite, read for a switch-over.
#include <cstddef>
#include <cstdint>

#include "engine_entry_points.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  reconcile::fuzz::balena_database({reinterpret_cast<const char*>(data), size});
  return 0;
}

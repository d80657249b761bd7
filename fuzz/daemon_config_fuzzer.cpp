// libFuzzer target: the bytes as the daemon's configuration file.
#include <cstddef>
#include <cstdint>

#include "engine_entry_points.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  reconcile::fuzz::daemon_config({reinterpret_cast<const char*>(data), size});
  return 0;
}

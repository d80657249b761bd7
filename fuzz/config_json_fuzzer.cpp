// libFuzzer target: the bytes as balena's config.json, parsed, changed as provisioning changes it, written back.
#include <cstddef>
#include <cstdint>

#include "engine_entry_points.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  reconcile::fuzz::config_json({reinterpret_cast<const char*>(data), size});
  return 0;
}

// libFuzzer target: the plan request parser.
#include <cstddef>
#include <cstdint>

#include "entry_points.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  reconcile::fuzz::parse_request({reinterpret_cast<const char*>(data), size});
  return 0;
}

// libFuzzer target: parse, plan (twice, and reordered), then iterate like
// `supervisor plan --all`.
#include <cstddef>
#include <cstdint>

#include "entry_points.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  reconcile::fuzz::plan({reinterpret_cast<const char*>(data), size});
  return 0;
}

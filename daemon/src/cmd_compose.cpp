// `supervisor compose`: answers compose conversion requests
// (shared/conformance/compose/FORMAT.md).
#include <cstdio>

#include "commands.hpp"

namespace supervisor {

int cmd_compose(std::span<const std::string_view> /*args*/) {
  std::fputs("supervisor compose: not implemented yet\n", stderr);
  return 2;
}

}  // namespace supervisor

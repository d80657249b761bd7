// A Docker client failure as the seams report it: the engine down or slow is
// Unavailable (the loop backs off, the API answers 503), a refusal keeps its
// meaning (NotFound, Conflict, Invalid ...).
#pragma once

#include "engine/common/error.hpp"
#include "engine/docker/result.hpp"

namespace engine {

[[nodiscard]] Error error_from(const docker::Error& error);

}  // namespace engine

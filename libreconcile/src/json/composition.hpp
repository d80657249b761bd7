// Reading a service's docker-compose configuration: the fields the planner
// decides on, the canonical text kept for output, and the key that decides
// between recreate and metadata update.
#pragma once

#include "reader.hpp"
#include "reconcile/model.hpp"

namespace reconcile::detail {

// `composition` is an object of compose keys (already merged with the
// service's shortcut keys). Fills the compose-derived fields of `service`.
void read_composition(const Reader& composition, Service& service);

}  // namespace reconcile::detail

// A whole device state taken from another supervisor's database (the balena
// supervisor's, balena_import.hpp), written into the store by
// Store::import_state in one transaction: a switch-over either brings all of
// it or nothing.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "engine/store/types.hpp"
#include "reconcile/model.hpp"

namespace engine::store {

struct ImportedState {
  // nullopt: the other supervisor held no target it would apply; the stored
  // target (if any) is left as it is.
  std::optional<Target> target;
  std::vector<reconcile::Image> images;
  std::map<reconcile::AppId, std::string> commits;  // release each app fully reached
  std::vector<ApiKey> api_keys;                     // reused as they are
  std::map<std::string, std::string> config;        // config-table values (docs/store.md)

  friend bool operator==(const ImportedState&, const ImportedState&) = default;
};

}  // namespace engine::store

// Switch-over from the balena supervisor (docs/switch-over.md): its database
// read once, read-only, into this supervisor's store, by `supervisor
// import-balena` or at the first start of a data directory without a store.
#pragma once

#include <filesystem>
#include <string>

#include "config.hpp"
#include "engine/store/balena_import.hpp"
#include "log.hpp"

namespace supervisor {

struct BalenaImportOutcome {
  bool imported = false;
  std::string error;                 // why nothing was imported
  engine::store::BalenaImport read;  // what was read and written, when imported
};

// Reads `from` and writes what it holds into the store of `config` (created
// when absent) in one transaction. The store must hold no target yet unless
// `replace`: an import never silently overwrites a running device's target.
[[nodiscard]] BalenaImportOutcome import_balena(const Config& config, const std::filesystem::path& from, bool replace);

// `supervisor run`: when the data directory has no store yet and the balena
// database is where config.balena_database_path says, imports it and logs
// what it did. A missing, damaged or newer balena database is logged and
// nothing is imported: the daemon starts anyway and adopts the balena
// supervisor's containers from their labels when a target matches them.
void import_balena_at_first_start(const Config& config, Logger& log);

}  // namespace supervisor

// Reading the balena supervisor's database (database.sqlite, v7 to v19.0.5;
// shared/reference/balena-database.md) once, at a switch-over, into the
// state this supervisor stores (ImportedState). The file is opened
// read-only and never changed, so the operator can go back to the balena
// supervisor. See docs/switch-over.md.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "engine/common/result.hpp"
#include "engine/store/imported_state.hpp"

namespace engine::store {

// Where balenaOS keeps the balena supervisor's database, as the host (and a
// supervisor that sees the data partition at /mnt/data) sees it.
inline constexpr const char* kBalenaDatabasePath = "/mnt/data/resin-data/balena-supervisor/database.sqlite";

struct BalenaImportOptions {
  // config.json's apiEndpoint ("" on an unmanaged device): the balena
  // supervisor's target rows are those of this source (or "local" in local
  // mode), plus every non-fleet app.
  std::string api_endpoint;
};

enum class BalenaErrorKind {
  Missing,      // no file at the path
  Unreadable,   // not a database, corrupt, locked, or an unfinished transaction (hot journal)
  Newer,        // migrated by a supervisor newer than v19.0.5
  Unsupported,  // a pre-v7 database, which the balena supervisor itself needs its cloud to convert
  BadData,      // a row this reader cannot use (JSON that does not parse, a target that does not)
};

[[nodiscard]] const char* to_string(BalenaErrorKind kind);

struct BalenaError {
  BalenaErrorKind kind = BalenaErrorKind::Unreadable;
  std::string path;
  std::string message;  // what is wrong, naming the table, row or migration
  [[nodiscard]] std::string describe() const;
};

struct BalenaImport {
  ImportedState state;
  // What was left out and why (a key row without a secret, no target the
  // balena supervisor would apply ...), for the log.
  std::vector<std::string> notes;
  std::vector<std::string> migrations;  // knex_migrations names found, in order
};

// Reads the whole database in one read transaction. Nothing is imported
// from a file that fails any check: the caller gets an error and writes
// nothing.
[[nodiscard]] ResultOf<BalenaImport, BalenaError> read_balena_database(const std::filesystem::path& path,
                                                                        const BalenaImportOptions& options);

}  // namespace engine::store

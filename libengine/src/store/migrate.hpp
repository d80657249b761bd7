// Applies the numbered schema migrations a database lacks.
#pragma once

#include <span>
#include <vector>

#include "engine/store/migrations.hpp"
#include "engine/store/result.hpp"
#include "sqlite.hpp"

namespace engine::store::detail {

// Creates schema_migrations when missing, then applies every migration whose
// version is not recorded, in order, each in its own transaction together
// with its schema_migrations row. Returns the versions applied. Fails
// (NewerSchema) when the database records a version this code does not know:
// a newer supervisor migrated it and downgrades are unsupported.
[[nodiscard]] Result<std::vector<int>> migrate(sqlite3* db, std::span<const Migration> migrations);

}  // namespace engine::store::detail

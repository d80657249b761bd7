#include "migrate.hpp"

#include <fmt/format.h>

#include <set>
#include <string>

namespace engine::store::detail {
namespace {

// The bookkeeping table is the store's, not a migration's: migration 1 has
// to be recorded somewhere. schema/schema.sql declares the same table.
constexpr const char* kCreateSchemaMigrations =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version INTEGER PRIMARY KEY,"
    " name TEXT NOT NULL,"
    " applied_at INTEGER NOT NULL)";

Result<std::set<int>> applied_versions(sqlite3* db) {
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db, "SELECT version FROM schema_migrations", -1, &raw, nullptr) != SQLITE_OK) {
    sqlite3_finalize(raw);
    return sqlite_error(db, "migrate: read schema_migrations");
  }
  const Statement statement(raw);
  Use use(db, raw, "migrate: read schema_migrations");
  std::set<int> versions;
  while (use.next_row()) versions.insert(static_cast<int>(use.int64(0)));
  if (use.error()) return *use.error();
  return versions;
}

Status apply(sqlite3* db, const Migration& migration) {
  const std::string operation = fmt::format("migrate: {}", migration.name);
  auto transaction = Transaction::begin(db, TransactionKind::Write, operation);
  if (!transaction) return transaction.error();
  // Another process may have applied it between our read and our lock.
  auto versions = applied_versions(db);
  if (!versions) return versions.error();
  if (versions->count(migration.version) != 0) return std::nullopt;

  const std::string sql(migration.sql);  // sqlite3_exec needs a terminated string
  if (auto error = exec(db, sql.c_str(), operation)) return error;

  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db,
                         "INSERT INTO schema_migrations (version, name, applied_at) "
                         "VALUES (?1, ?2, CAST(strftime('%s', 'now') AS INTEGER))",
                         -1, &raw, nullptr) != SQLITE_OK) {
    sqlite3_finalize(raw);
    return sqlite_error(db, fmt::format("{}: record", operation));
  }
  const Statement statement(raw);
  {
    Use use(db, raw, fmt::format("{}: record", operation));
    use.bind(1, std::int64_t{migration.version}).bind(2, migration.name);
    if (auto error = use.run()) return error;
  }
  return transaction->commit(operation);
}

}  // namespace

Result<std::vector<int>> migrate(sqlite3* db, std::span<const Migration> migrations) {
  if (auto error = exec(db, kCreateSchemaMigrations, "migrate: create schema_migrations")) return *error;
  auto versions = applied_versions(db);
  if (!versions) return versions.error();
  const int latest = migrations.empty() ? 0 : migrations.back().version;
  if (!versions->empty() && *versions->rbegin() > latest) {
    return Error{ErrorKind::NewerSchema, "migrate",
                 fmt::format("the database has schema version {}, newer than this supervisor's {}; "
                             "downgrades are unsupported",
                             *versions->rbegin(), latest),
                 0};
  }
  std::vector<int> applied;
  for (const Migration& migration : migrations) {
    if (versions->count(migration.version) != 0) continue;
    if (auto error = apply(db, migration)) return *error;
    applied.push_back(migration.version);
  }
  return applied;
}

}  // namespace engine::store::detail

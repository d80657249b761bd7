// The balena supervisor's database as this reader sees it: a read-only
// connection and whole tables read into rows whose columns are looked up by
// name, because older devices' tables were rebuilt by older knex versions
// with their columns in other orders (balena-database.md §0).
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "engine/store/balena_import.hpp"

namespace engine::store::balena {

// One row: every column's value as SQLite's text of it; nullopt for NULL.
class Row {
 public:
  explicit Row(std::map<std::string, std::optional<std::string>> values) : values_(std::move(values)) {}
  [[nodiscard]] bool has(const std::string& column) const { return values_.count(column) != 0; }
  // nullopt when the column is absent or NULL.
  [[nodiscard]] std::optional<std::string> text(const std::string& column) const;
  // nullopt when absent, NULL or not a whole number.
  [[nodiscard]] std::optional<std::int64_t> integer(const std::string& column) const;
  // As the balena supervisor reads booleans: 1/true/on (any case) is true.
  [[nodiscard]] bool flag(const std::string& column) const;

 private:
  std::map<std::string, std::optional<std::string>> values_;
};

struct CloseDb {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};

class Database {
 public:
  // Opens `path` read-only (mode=ro: shared locks only, no journal, WAL or
  // shm file is ever created; a hot journal left by an interrupted write is
  // refused rather than read half-applied) and checks that it is a readable
  // SQLite database.
  [[nodiscard]] static ResultOf<Database, BalenaError> open(const std::filesystem::path& path);

  [[nodiscard]] bool has_table(const std::string& name) const { return tables_.count(name) != 0; }
  // Every row of `table` (SELECT *), or an error naming the table.
  [[nodiscard]] ResultOf<std::vector<Row>, BalenaError> rows(const std::string& table, const std::string& where = "");
  // BEGIN / COMMIT of the one read transaction the import runs in.
  [[nodiscard]] std::optional<BalenaError> begin();
  void end();

 private:
  Database(std::unique_ptr<sqlite3, CloseDb> db, std::string path) : db_(std::move(db)), path_(std::move(path)) {}
  [[nodiscard]] BalenaError error(const std::string& doing) const;
  [[nodiscard]] std::optional<BalenaError> load_tables();

  std::unique_ptr<sqlite3, CloseDb> db_;
  std::string path_;
  std::set<std::string> tables_;
};

}  // namespace engine::store::balena

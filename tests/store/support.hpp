// Helpers of the store tests: a temporary folder, a second (raw SQLite)
// connection to look at the file, and sample targets.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <string>

#include "engine/store/store.hpp"

namespace store_test {

// A fresh folder under the system temp dir, removed with everything in it.
class TempDir {
 public:
  TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }
  [[nodiscard]] std::filesystem::path file(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

// A plain SQLite connection, independent of the Store under test.
class RawDb {
 public:
  explicit RawDb(const std::filesystem::path& path);
  RawDb(const RawDb&) = delete;
  RawDb& operator=(const RawDb&) = delete;
  ~RawDb();
  // Runs SQL; fails the test on error.
  void exec(const std::string& sql);
  [[nodiscard]] std::int64_t integer(const std::string& sql);
  // PRAGMA data_version: changes when another connection commits a change.
  [[nodiscard]] std::int64_t data_version() { return integer("PRAGMA data_version"); }
  // The schema as a canonical text: every object of sqlite_master with its
  // SQL (comments dropped, whitespace normalized), and every table's
  // columns, indexes and foreign keys as SQLite reports them.
  [[nodiscard]] std::string normalized_schema();
  [[nodiscard]] sqlite3* get() const { return db_; }

 private:
  sqlite3* db_ = nullptr;
};

// Drops SQL comments and normalizes whitespace (none around punctuation).
[[nodiscard]] std::string normalize_sql(const std::string& sql);

[[nodiscard]] std::string read_file(const std::filesystem::path& path);

engine::store::StoreOptions options_for(const std::filesystem::path& path);
// Opens a store; fails the test when it cannot.
engine::store::Opened open_store(const engine::store::StoreOptions& options);
engine::store::Opened open_store(const std::filesystem::path& path);

// A realistic target: examples/device-update.json's target (one app, four
// services with volumes, networks, depends_on) plus a second app, device
// name and config.
engine::store::Target sample_target();

}  // namespace store_test

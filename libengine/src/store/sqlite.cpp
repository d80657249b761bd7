#include "sqlite.hpp"

#include <fmt/format.h>

#include <utility>

namespace engine::store::detail {
namespace {

ErrorKind kind_of(int code) {
  const int primary = code & 0xff;
  return primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB ? ErrorKind::Corrupt : ErrorKind::Sqlite;
}

}  // namespace

Error sqlite_error(sqlite3* db, std::string operation) {
  const int code = db != nullptr ? sqlite3_extended_errcode(db) : SQLITE_NOMEM;
  std::string message = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(code);
  return Error{kind_of(code), std::move(operation), std::move(message), code};
}

Error sqlite_error(int code, std::string operation) {
  return Error{kind_of(code), std::move(operation), sqlite3_errstr(code), code};
}

Status exec(sqlite3* db, const char* sql, std::string_view operation) {
  char* message = nullptr;
  const int rc = sqlite3_exec(db, sql, nullptr, nullptr, &message);
  if (rc == SQLITE_OK) return std::nullopt;
  Error error = sqlite_error(db, std::string(operation));
  if (message != nullptr) {
    error.message = message;
    sqlite3_free(message);
  }
  return error;
}

void Use::check_bind(int rc) {
  if (rc != SQLITE_OK && !error_) error_ = sqlite_error(db_, operation_);
}

Use& Use::bind(int index, std::int64_t value) {
  check_bind(sqlite3_bind_int64(statement_, index, value));
  return *this;
}

Use& Use::bind(int index, std::string_view value) {
  // SQLITE_TRANSIENT: SQLite copies the text, so temporaries may be bound.
  check_bind(sqlite3_bind_text64(statement_, index, value.data(), value.size(), SQLITE_TRANSIENT, SQLITE_UTF8));
  return *this;
}

Use& Use::bind_null(int index) {
  check_bind(sqlite3_bind_null(statement_, index));
  return *this;
}

Use& Use::bind(int index, const std::optional<std::string>& value) {
  return value ? bind(index, std::string_view(*value)) : bind_null(index);
}

Use& Use::bind(int index, const std::optional<std::int64_t>& value) {
  return value ? bind(index, *value) : bind_null(index);
}

bool Use::next_row() {
  if (error_ || done_) return false;
  const int rc = sqlite3_step(statement_);
  if (rc == SQLITE_ROW) return true;
  done_ = true;
  if (rc != SQLITE_DONE) error_ = sqlite_error(db_, operation_);
  return false;
}

Status Use::run() {
  while (next_row()) {
  }
  return error_;
}

std::int64_t Use::int64(int column) const { return sqlite3_column_int64(statement_, column); }

std::string Use::text(int column) const {
  const auto* data = sqlite3_column_text(statement_, column);
  const int size = sqlite3_column_bytes(statement_, column);
  if (data == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(data), static_cast<std::size_t>(size));
}

bool Use::is_null(int column) const { return sqlite3_column_type(statement_, column) == SQLITE_NULL; }

std::optional<std::string> Use::optional_text(int column) const {
  if (is_null(column)) return std::nullopt;
  return text(column);
}

std::optional<std::int64_t> Use::optional_int64(int column) const {
  if (is_null(column)) return std::nullopt;
  return int64(column);
}

Result<Transaction> Transaction::begin(sqlite3* db, TransactionKind kind, std::string_view operation) {
  const char* sql = kind == TransactionKind::Write ? "BEGIN IMMEDIATE" : "BEGIN";
  if (auto error = exec(db, sql, fmt::format("{}: begin", operation))) return *error;
  return Transaction(db);
}

Status Transaction::commit(std::string_view operation) {
  if (auto error = exec(db_, "COMMIT", fmt::format("{}: commit", operation))) return error;
  db_ = nullptr;
  return std::nullopt;
}

Transaction::~Transaction() {
  // Rolls back a transaction nobody committed (an error on the way). If
  // COMMIT itself failed SQLite may have rolled back already.
  if (db_ != nullptr && sqlite3_get_autocommit(db_) == 0) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
}

}  // namespace engine::store::detail

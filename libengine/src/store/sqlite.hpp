// Thin RAII over the SQLite C API: the connection, prepared statements and
// transactions. Private to the store; every failure becomes a store Error
// naming the operation and carrying SQLite's message.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "engine/store/result.hpp"

namespace engine::store::detail {

struct ConnectionCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using Connection = std::unique_ptr<sqlite3, ConnectionCloser>;

// An Error from the connection's last failure.
[[nodiscard]] Error sqlite_error(sqlite3* db, std::string operation);
// An Error from a result code when there is no connection to ask.
[[nodiscard]] Error sqlite_error(int code, std::string operation);

// Success or an Error, for steps that return nothing.
using Status = std::optional<Error>;  // nullopt: success

// Runs SQL that returns no rows (one or more statements).
[[nodiscard]] Status exec(sqlite3* db, const char* sql, std::string_view operation);

struct StatementFinalizer {
  void operator()(sqlite3_stmt* statement) const { sqlite3_finalize(statement); }
};

// A prepared statement. Owned by the store's statement cache and reused:
// a Use resets it and clears its bindings when the call is done with it.
class Statement {
 public:
  Statement() = default;
  explicit Statement(sqlite3_stmt* statement) : statement_(statement) {}
  [[nodiscard]] sqlite3_stmt* get() const { return statement_.get(); }

 private:
  std::unique_ptr<sqlite3_stmt, StatementFinalizer> statement_;
};

// One execution of a cached statement: binds parameters (1-based), steps
// through rows, reads columns, and on destruction resets the statement so
// that it holds no read lock and no stale bindings.
class Use {
 public:
  Use(sqlite3* db, sqlite3_stmt* statement, std::string operation)
      : db_(db), statement_(statement), operation_(std::move(operation)) {}
  Use(const Use&) = delete;
  Use& operator=(const Use&) = delete;
  ~Use() {
    sqlite3_reset(statement_);
    sqlite3_clear_bindings(statement_);
  }

  Use& bind(int index, std::int64_t value);
  Use& bind(int index, std::string_view value);
  // Exact overloads, so that a string is not ambiguous between string_view
  // and optional<string>.
  Use& bind(int index, const std::string& value) { return bind(index, std::string_view(value)); }
  Use& bind(int index, const char* value) { return bind(index, std::string_view(value)); }
  Use& bind_null(int index);
  Use& bind(int index, const std::optional<std::string>& value);
  Use& bind(int index, const std::optional<std::int64_t>& value);

  // Steps once: true when a row is ready, false when done; an error (a bind
  // that failed, or the step itself) is returned through `error()`.
  [[nodiscard]] bool next_row();
  // Runs a statement that returns no rows.
  [[nodiscard]] Status run();
  [[nodiscard]] const Status& error() const { return error_; }

  [[nodiscard]] std::int64_t int64(int column) const;
  [[nodiscard]] std::string text(int column) const;
  [[nodiscard]] bool is_null(int column) const;
  [[nodiscard]] std::optional<std::string> optional_text(int column) const;
  [[nodiscard]] std::optional<std::int64_t> optional_int64(int column) const;

 private:
  void check_bind(int rc);

  sqlite3* db_;
  sqlite3_stmt* statement_;
  std::string operation_;
  Status error_;
  bool done_ = false;
};

// Write: BEGIN IMMEDIATE takes the write lock up front, so that a
// transaction that reads before it writes cannot fail half-way with
// SQLITE_BUSY (the busy timeout applies at BEGIN). Read: a deferred BEGIN,
// for one consistent snapshot across several SELECTs.
enum class TransactionKind { Read, Write };

// BEGIN ... COMMIT; rolls back unless committed.
class Transaction {
 public:
  [[nodiscard]] static Result<Transaction> begin(sqlite3* db, TransactionKind kind, std::string_view operation);
  Transaction(Transaction&& other) noexcept : db_(other.db_) { other.db_ = nullptr; }
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;
  ~Transaction();

  [[nodiscard]] Status commit(std::string_view operation);

 private:
  explicit Transaction(sqlite3* db) : db_(db) {}
  sqlite3* db_;  // null once committed or rolled back
};

}  // namespace engine::store::detail

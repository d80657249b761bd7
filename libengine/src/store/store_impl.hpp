// The state behind a Store: one connection, the statement cache and the
// lock that serializes calls from several threads.
#pragma once

#include <fmt/format.h>
#include <exception>
#include <mutex>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "engine/store/store.hpp"
#include "sqlite.hpp"

namespace engine::store {

class Store::Impl {
 public:
  Impl(StoreOptions store_options, detail::Connection connection)
      : options(std::move(store_options)), db(std::move(connection)) {}

  // The cached statement for `sql`, prepared on first use. `sql` must have
  // static storage (a literal): the cache keys on the view.
  [[nodiscard]] detail::Status prepare(std::string_view sql, std::string_view operation, sqlite3_stmt*& out);

  // Runs the cached statement `sql` (a literal, as for prepare), which
  // returns no rows, once with the parameters `bind(use)` sets.
  template <class Bind>
  [[nodiscard]] detail::Status run(std::string_view sql, const std::string& operation, Bind&& bind) {
    sqlite3_stmt* statement = nullptr;
    if (auto error = prepare(sql, operation, statement)) return error;
    detail::Use use(db.get(), statement, operation);
    bind(use);
    return use.run();
  }

  // As run(): Changed when the statement changed a row, Unchanged otherwise.
  template <class Bind>
  [[nodiscard]] Result<Change> change(std::string_view sql, const std::string& operation, Bind&& bind) {
    if (auto error = run(sql, operation, std::forward<Bind>(bind))) return *error;
    return sqlite3_changes64(db.get()) > 0 ? Change::Changed : Change::Unchanged;
  }

  // Runs the cached query `sql` (a literal, as for prepare) with the
  // parameters `bind(use)` sets, and calls `row(use)` for each row.
  template <class Bind, class Row>
  [[nodiscard]] detail::Status for_each_row(std::string_view sql, const std::string& operation, Bind&& bind,
                                            Row&& row) {
    sqlite3_stmt* statement = nullptr;
    if (auto error = prepare(sql, operation, statement)) return error;
    detail::Use use(db.get(), statement, operation);
    bind(use);
    while (use.next_row()) row(use);
    return use.error();
  }

  // Runs `body` under the lock; an exception (allocation failure, a JSON
  // library error) becomes an Error instead of escaping.
  template <class Body>
  auto guarded(std::string_view operation, Body&& body) -> decltype(body()) {
    try {
      const std::lock_guard lock(mutex);
      return body();
    } catch (const std::bad_alloc&) {
      return Error{ErrorKind::Sqlite, std::string(operation), "out of memory", SQLITE_NOMEM};
    } catch (const std::exception& error) {
      return Error{ErrorKind::StoredData, std::string(operation), error.what(), 0};
    }
  }

  StoreOptions options;
  detail::Connection db;
  std::mutex mutex;
  std::unordered_map<std::string_view, detail::Statement> statements;
  // The text the state copy file holds, as far as this Store knows (it
  // read or wrote it); nullopt when unknown, so the next state write writes
  // it. Lets a write skip a copy that already says the same.
  std::optional<std::string> copy_text;
};

}  // namespace engine::store

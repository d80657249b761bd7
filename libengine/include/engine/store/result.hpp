// How every store call reports failure: a value, never an exception.
// An Error names the operation that failed ("set_target: write app 3") and
// carries SQLite's own message and extended result code when SQLite failed.
#pragma once

#include <string>

#include "engine/common/result.hpp"
#include <utility>
#include <variant>

namespace engine::store {

// What kind of failure, so callers can branch without parsing messages.
// Only `kind` and `sqlite_code` may drive behaviour; the texts are for logs.
enum class ErrorKind {
  Sqlite,       // SQLite returned an error (sqlite_code says which)
  Corrupt,      // SQLite reported SQLITE_CORRUPT/NOTADB after open: reopen to recover
  StoredData,   // a row holds something this code cannot read back (bad JSON)
  NewerSchema,  // the database was migrated by a newer supervisor
  FileSystem,   // a file beside the database: moving a corrupt one aside, writing the state copy
};

[[nodiscard]] const char* to_string(ErrorKind kind);

struct Error {
  ErrorKind kind = ErrorKind::Sqlite;
  std::string operation;  // which call failed, with the object it named
  std::string message;    // SQLite's message (sqlite3_errmsg) or ours
  int sqlite_code = 0;    // extended result code, 0 when SQLite did not fail

  // "<operation>: <message> (sqlite code <n>)".
  [[nodiscard]] std::string describe() const;
};

// What a write did. Writes that would store what is already there write
// nothing at all (no transaction is committed) and say Unchanged.
enum class Change { Unchanged, Changed };

// A value or an Error.
template <class T>
using Result = ResultOf<T, Error>;

}  // namespace engine::store

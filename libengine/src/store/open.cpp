// Opening the store: connection settings, the integrity check, moving a
// corrupt file aside, the migrations, then the state copy (settle_copy.cpp).
#include <fmt/format.h>
#include <range/v3/range/conversion.hpp>
#include <range/v3/view/filter.hpp>
#include <string>
#include <system_error>
#include <utility>
#include <variant>

#include "kept_state.hpp"
#include "migrate.hpp"
#include "reconcile/json.hpp"
#include "store_impl.hpp"

namespace engine::store {
namespace {

namespace fs = std::filesystem;

// WAL files are truncated back to this after a checkpoint, so a burst of
// writes does not keep its disk space on a small data partition.
constexpr const char* kJournalSizeLimit = "PRAGMA journal_size_limit = 4194304";

// The file cannot be used as a database: move it aside and start afresh.
struct Unusable {
  std::string reason;
};

using Attempt = std::variant<detail::Connection, Unusable, Error>;

bool is_corruption(int code) {
  const int primary = code & 0xff;
  return primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB;
}

// Sorts a failure: corruption makes the file unusable, anything else
// (busy, I/O, full disk) is an error and the file stays where it is, since
// it may be healthy.
Attempt failed(sqlite3* db, const std::string& operation) {
  Error error = detail::sqlite_error(db, operation);
  if (is_corruption(error.sqlite_code)) return Unusable{error.describe()};
  return error;
}

// Runs a pragma that answers rows of text and collects them.
std::variant<std::vector<std::string>, Attempt> pragma_rows(sqlite3* db, const char* sql,
                                                            const std::string& operation) {
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db, sql, -1, &raw, nullptr) != SQLITE_OK) {
    sqlite3_finalize(raw);
    return failed(db, operation);
  }
  const detail::Statement statement(raw);
  detail::Use use(db, raw, operation);
  std::vector<std::string> rows;
  while (use.next_row()) rows.push_back(use.text(0));
  if (use.error()) return failed(db, operation);
  return rows;
}

// Opens the file, sets the connection up and checks its integrity; the
// migrations come after, on a file known to be sound.
Attempt connect(const StoreOptions& options) {
  const fs::path& path = options.path;
  sqlite3* raw = nullptr;
  // NOMUTEX: the Store serializes its calls itself.
  const int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                                 nullptr);
  detail::Connection db(raw);
  if (rc != SQLITE_OK) {
    Error error = db ? detail::sqlite_error(db.get(), fmt::format("open {}", path.string()))
                     : detail::sqlite_error(rc, fmt::format("open {}", path.string()));
    // A file that exists but cannot be opened as a database is unreadable;
    // a missing folder or a permission problem on it is an error.
    std::error_code ec;
    if (is_corruption(rc) || ((rc & 0xff) == SQLITE_CANTOPEN && fs::is_regular_file(path, ec))) {
      return Unusable{error.describe()};
    }
    return error;
  }
  sqlite3_extended_result_codes(db.get(), 1);
  // Until the file proves sound, closing must not checkpoint a WAL into it:
  // a file moved aside stays as it was found.
  sqlite3_db_config(db.get(), SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
  sqlite3_busy_timeout(db.get(), static_cast<int>(options.busy_timeout.count()));

  // The first statement reads the header: a file that is not a database
  // fails here with SQLITE_NOTADB.
  auto mode = pragma_rows(db.get(), "PRAGMA journal_mode = WAL", "open: set journal_mode=WAL");
  if (auto* attempt = std::get_if<Attempt>(&mode)) return std::move(*attempt);
  const auto& mode_rows = std::get<std::vector<std::string>>(mode);
  if (mode_rows.empty() || mode_rows.front() != "wal") {
    return Error{ErrorKind::Sqlite, "open: set journal_mode=WAL",
                 fmt::format("SQLite kept journal mode '{}'", mode_rows.empty() ? std::string() : mode_rows.front()),
                 0};
  }

  const bool full = options.integrity_check == IntegrityCheck::Full;
  auto check = pragma_rows(db.get(), full ? "PRAGMA integrity_check(20)" : "PRAGMA quick_check(20)",
                           full ? "open: integrity_check" : "open: quick_check");
  if (auto* attempt = std::get_if<Attempt>(&check)) return std::move(*attempt);
  const auto& problems = std::get<std::vector<std::string>>(check);
  if (problems.size() != 1 || problems.front() != "ok") {
    std::string reason = full ? "integrity_check:" : "quick_check:";
    for (const std::string& problem : problems) reason += fmt::format(" {};", problem);
    return Unusable{std::move(reason)};
  }

  sqlite3_db_config(db.get(), SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 0, nullptr);

  // FULL: in WAL mode each commit syncs the WAL, so a power cut right after
  // set_target or set_commit cannot bring the previous value back. Log
  // appends lower it to NORMAL for their own commits (logs.cpp).
  if (auto error = detail::exec(db.get(), "PRAGMA synchronous = FULL", "open: set synchronous")) return *error;
  if (auto error = detail::exec(db.get(), kJournalSizeLimit, "open: set journal_size_limit")) return *error;
  return db;
}

// "20260101T003000Z": reconcile's UTC time without its separators, for a file name.
std::string timestamp(std::chrono::system_clock::time_point now) {
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  const std::string iso = reconcile::format_time(seconds);
  return iso | ranges::views::filter([](char c) { return c != '-' && c != ':'; }) | ranges::to<std::string>();
}

// Renames the database and its -wal and -shm files to
// "<path>.corrupt-<UTC time>[-n]", keeping them for inspection (the moved
// database opens with its WAL, as the names still pair up).
Result<fs::path> move_aside(const StoreOptions& options) {
  const auto now = options.now ? options.now() : std::chrono::system_clock::now();
  const std::string base = fmt::format("{}.corrupt-{}", options.path.string(), timestamp(now));
  fs::path target = base;
  std::error_code ec;
  for (int n = 1; fs::exists(target, ec) || fs::exists(fmt::format("{}-wal", target.string()), ec); ++n) {
    target = fmt::format("{}-{}", base, n);
  }
  const std::string operation = "open: move corrupt database aside";
  // The side files first: a -wal left behind would be replayed into the
  // fresh database.
  for (const char* suffix : {"-wal", "-shm"}) {
    const fs::path side = fmt::format("{}{}", options.path.string(), suffix);
    if (!fs::exists(side, ec)) continue;
    fs::rename(side, fmt::format("{}{}", target.string(), suffix), ec);
    if (ec) return Error{ErrorKind::FileSystem, operation, fmt::format("{}: {}", side.string(), ec.message()), 0};
  }
  fs::rename(options.path, target, ec);
  if (ec) return Error{ErrorKind::FileSystem, operation, fmt::format("{}: {}", options.path.string(), ec.message()), 0};
  return target;
}

// Closes a connection to a corrupt file without checkpointing its WAL into
// it, so the file moved aside is the file as found.
void close_untouched(detail::Connection& db) {
  if (!db) return;
  sqlite3_db_config(db.get(), SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
  db.reset();
}

}  // namespace

Result<Opened> Store::open(StoreOptions options) {
  try {
    if (options.path.empty()) return Error{ErrorKind::Sqlite, "open", "no database path given", SQLITE_MISUSE};
    if (options.log_capacity < 1) {
      return Error{ErrorKind::Sqlite, "open", "log_capacity must be at least 1", SQLITE_MISUSE};
    }
    std::optional<Recovery> recovery;
    detail::Connection db;
    std::vector<int> applied;
    // At most two rounds: the file as found, then a fresh one in its place.
    for (int round = 0; round < 2; ++round) {
      Attempt attempt = connect(options);
      if (auto* error = std::get_if<Error>(&attempt)) return std::move(*error);
      std::optional<Unusable> unusable;
      if (auto* bad = std::get_if<Unusable>(&attempt)) {
        unusable = std::move(*bad);
      } else {
        db = std::move(std::get<detail::Connection>(attempt));
        auto migrated = detail::migrate(db.get(), migrations());
        if (migrated) {
          applied = std::move(migrated).value();
          break;
        }
        // Corruption the integrity check missed shows up here; anything
        // else (a failed migration, a newer schema) leaves the file alone.
        if (migrated.error().kind != ErrorKind::Corrupt) return migrated.error();
        unusable = Unusable{migrated.error().describe()};
      }
      if (round == 1) {
        return Error{ErrorKind::Corrupt, fmt::format("open {}", options.path.string()),
                     fmt::format("a fresh database is unusable too: {}", unusable->reason), 0};
      }
      close_untouched(db);
      auto moved = move_aside(options);
      if (!moved) return moved.error();
      recovery = Recovery{std::move(moved).value(), std::move(unusable->reason)};
    }
    auto impl = std::make_unique<Impl>(std::move(options), std::move(db));
    auto copy = detail::settle_copy(*impl, recovery);
    if (!copy) return copy.error();
    return Opened{Store(std::move(impl)), std::move(recovery), std::move(copy).value(), std::move(applied)};
  } catch (const std::exception& error) {
    return Error{ErrorKind::Sqlite, "open", error.what(), 0};
  }
}

}  // namespace engine::store

// The bounded log buffer: appends drop the oldest lines beyond the
// capacity, readers resume after the last sequence number they saw.
#include <fmt/format.h>

#include <map>
#include <optional>
#include <string>

#include "store_impl.hpp"

namespace engine::store {
namespace {

const char* stream_name(LogStream stream) {
  switch (stream) {
    case LogStream::System: return "system";
    case LogStream::Stdout: return "stdout";
    case LogStream::Stderr: return "stderr";
  }
  return "system";
}

std::optional<LogStream> parse_stream(const std::string& text) {
  if (text == "system") return LogStream::System;
  if (text == "stdout") return LogStream::Stdout;
  if (text == "stderr") return LogStream::Stderr;
  return std::nullopt;
}

// Log commits are not synced (synchronous=NORMAL): many lines a second
// would otherwise mean as many fsyncs on flash storage, and a power cut
// losing the last lines is acceptable where losing the target is not. The
// WAL still keeps the file consistent. State writes stay FULL: this puts it
// back whatever happens in between.
class UnsyncedCommits {
 public:
  explicit UnsyncedCommits(sqlite3* db) : db_(db) {
    sqlite3_exec(db_, "PRAGMA synchronous = NORMAL", nullptr, nullptr, nullptr);
  }
  UnsyncedCommits(const UnsyncedCommits&) = delete;
  UnsyncedCommits& operator=(const UnsyncedCommits&) = delete;
  ~UnsyncedCommits() { sqlite3_exec(db_, "PRAGMA synchronous = FULL", nullptr, nullptr, nullptr); }

 private:
  sqlite3* db_;
};

}  // namespace

namespace {

struct Appended {
  std::int64_t last_seq = 0;
  std::int64_t dropped = 0;
};

}  // namespace

// Appends in one unsynced transaction and trims the table to its capacity.
static Result<Appended> append_rows(Store::Impl& impl, std::string_view operation,
                                    const std::vector<SpilledLog>& lines) {
  sqlite3* db = impl.db.get();
  const UnsyncedCommits unsynced(db);
  auto transaction = detail::Transaction::begin(db, detail::TransactionKind::Write, operation);
  if (!transaction) return transaction.error();
  sqlite3_stmt* insert = nullptr;
  if (auto error = impl.prepare("INSERT INTO log (timestamp_ms, app_id, service_name, stream, message, service_id, "
                                "container_id, engine_time_ns) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                                operation, insert)) {
    return *error;
  }
  for (const SpilledLog& line : lines) {
    const LogEntry& entry = line.entry;
    detail::Use use(db, insert, fmt::format("{}: insert", operation));
    use.bind(1, entry.timestamp_ms).bind(2, entry.app_id).bind(3, entry.service_name);
    use.bind(4, stream_name(entry.stream)).bind(5, entry.message).bind(6, line.service_id);
    use.bind(7, line.container_id).bind(8, line.engine_time_ns);
    if (auto error = use.run()) return *error;
  }
  Appended appended;
  appended.last_seq = sqlite3_last_insert_rowid(db);
  // Deletes every line at or below the (capacity+1)-th newest: exact even
  // if the capacity shrank since the last open, and an index range scan.
  sqlite3_stmt* trim = nullptr;
  if (auto error = impl.prepare("DELETE FROM log WHERE seq <= "
                                "(SELECT seq FROM log ORDER BY seq DESC LIMIT 1 OFFSET ?1)",
                                operation, trim)) {
    return *error;
  }
  {
    detail::Use use(db, trim, fmt::format("{}: drop oldest", operation));
    use.bind(1, impl.options.log_capacity);
    if (auto error = use.run()) return *error;
  }
  appended.dropped = sqlite3_changes64(db);
  if (auto error = transaction->commit(operation)) return *error;
  return appended;
}

Result<std::int64_t> Store::append_logs(const std::vector<LogEntry>& entries) {
  constexpr std::string_view kOperation = "append_logs";
  return impl_->guarded(kOperation, [&]() -> Result<std::int64_t> {
    if (entries.empty()) return std::int64_t{0};
    std::vector<SpilledLog> lines;
    lines.reserve(entries.size());
    for (const LogEntry& entry : entries) lines.push_back(SpilledLog{entry, 0, "", 0});
    auto appended = append_rows(*impl_, kOperation, lines);
    if (!appended) return appended.error();
    return appended->last_seq;
  });
}

Result<std::int64_t> Store::append_log(const LogEntry& entry) { return append_logs({entry}); }

Result<std::vector<LogRecord>> Store::logs_since(std::int64_t after, std::size_t limit) {
  constexpr std::string_view kOperation = "logs_since";
  return impl_->guarded(kOperation, [&]() -> Result<std::vector<LogRecord>> {
    sqlite3_stmt* statement = nullptr;
    if (auto error = impl_->prepare("SELECT seq, timestamp_ms, app_id, service_name, stream, message FROM log "
                                    "WHERE seq > ?1 ORDER BY seq LIMIT ?2",
                                    kOperation, statement)) {
      return *error;
    }
    detail::Use use(impl_->db.get(), statement, std::string(kOperation));
    // SQLite limits are signed 64-bit; a larger limit means no limit.
    const auto bound = limit > static_cast<std::size_t>(INT64_MAX) ? INT64_MAX : static_cast<std::int64_t>(limit);
    use.bind(1, after).bind(2, bound);
    std::vector<LogRecord> records;
    while (use.next_row()) {
      LogRecord record;
      record.seq = use.int64(0);
      record.entry.timestamp_ms = use.int64(1);
      record.entry.app_id = use.int64(2);
      record.entry.service_name = use.text(3);
      const auto stream = parse_stream(use.text(4));
      if (!stream) {
        return Error{ErrorKind::StoredData, std::string(kOperation), fmt::format("unknown log stream {}", use.text(4)),
                     0};
      }
      record.entry.stream = *stream;
      record.entry.message = use.text(5);
      records.push_back(std::move(record));
    }
    if (use.error()) return *use.error();
    return records;
  });
}

Result<std::int64_t> Store::spill_logs(const std::vector<SpilledLog>& lines) {
  constexpr std::string_view kOperation = "spill_logs";
  return impl_->guarded(kOperation, [&]() -> Result<std::int64_t> {
    if (lines.empty()) return std::int64_t{0};
    auto appended = append_rows(*impl_, kOperation, lines);
    if (!appended) return appended.error();
    return appended->dropped;
  });
}

Result<std::vector<SpilledLogRecord>> Store::spilled_logs(std::size_t limit) {
  constexpr std::string_view kOperation = "spilled_logs";
  return impl_->guarded(kOperation, [&]() -> Result<std::vector<SpilledLogRecord>> {
    std::vector<SpilledLogRecord> records;
    std::optional<Error> bad;
    const auto bound = limit > static_cast<std::size_t>(INT64_MAX) ? INT64_MAX : static_cast<std::int64_t>(limit);
    auto status = impl_->for_each_row(
        "SELECT seq, timestamp_ms, app_id, service_name, stream, message, service_id, container_id, "
        "engine_time_ns FROM log ORDER BY seq LIMIT ?1",
        std::string(kOperation), [&](detail::Use& use) { use.bind(1, bound); },
        [&](detail::Use& use) {
          SpilledLogRecord record;
          record.seq = use.int64(0);
          record.line.entry.timestamp_ms = use.int64(1);
          record.line.entry.app_id = use.int64(2);
          record.line.entry.service_name = use.text(3);
          const auto stream = parse_stream(use.text(4));
          if (!stream) {
            bad = Error{ErrorKind::StoredData, std::string(kOperation), fmt::format("unknown log stream {}", use.text(4)),
                        0};
            return;
          }
          record.line.entry.stream = *stream;
          record.line.entry.message = use.text(5);
          record.line.service_id = use.int64(6);
          record.line.container_id = use.text(7);
          record.line.engine_time_ns = use.int64(8);
          records.push_back(std::move(record));
        });
    if (status) return *status;
    if (bad) return *bad;
    return records;
  });
}

Result<Change> Store::remove_logs_through(std::int64_t seq) {
  constexpr std::string_view kOperation = "remove_logs_through";
  return impl_->guarded(kOperation, [&]() -> Result<Change> {
    const UnsyncedCommits unsynced(impl_->db.get());
    return impl_->change("DELETE FROM log WHERE seq <= ?1", std::string(kOperation),
                         [&](detail::Use& use) { use.bind(1, seq); });
  });
}

Result<std::map<std::string, std::int64_t>> Store::log_cursors() {
  constexpr std::string_view kOperation = "log_cursors";
  return impl_->guarded(kOperation, [&]() -> Result<std::map<std::string, std::int64_t>> {
    std::map<std::string, std::int64_t> cursors;
    auto status = impl_->for_each_row(
        "SELECT container_id, engine_time_ns FROM log_cursor", std::string(kOperation), [](detail::Use&) {},
        [&](detail::Use& use) { cursors.emplace(use.text(0), use.int64(1)); });
    if (status) return *status;
    return cursors;
  });
}

Result<Change> Store::set_log_cursors(const std::map<std::string, std::int64_t>& cursors) {
  constexpr std::string_view kOperation = "set_log_cursors";
  return impl_->guarded(kOperation, [&]() -> Result<Change> {
    if (cursors.empty()) return Change::Unchanged;
    sqlite3* db = impl_->db.get();
    // Not synced: a killed process loses no commit in WAL mode, and a power
    // cut only means a few lines sent twice.
    const UnsyncedCommits unsynced(db);
    auto transaction = detail::Transaction::begin(db, detail::TransactionKind::Write, kOperation);
    if (!transaction) return transaction.error();
    // Not a structured binding: clang 14 (the fuzz build) cannot capture one in a lambda.
    for (const auto& cursor : cursors) {
      if (auto error = impl_->run("INSERT INTO log_cursor (container_id, engine_time_ns) VALUES (?1, ?2) "
                                  "ON CONFLICT (container_id) DO UPDATE SET engine_time_ns = excluded.engine_time_ns",
                                  std::string(kOperation),
                                  [&](detail::Use& use) { use.bind(1, cursor.first).bind(2, cursor.second); })) {
        return *error;
      }
    }
    if (auto error = transaction->commit(kOperation)) return *error;
    return Change::Changed;
  });
}

Result<Change> Store::remove_log_cursors(const std::vector<std::string>& container_ids) {
  constexpr std::string_view kOperation = "remove_log_cursors";
  return impl_->guarded(kOperation, [&]() -> Result<Change> {
    if (container_ids.empty()) return Change::Unchanged;
    sqlite3* db = impl_->db.get();
    auto transaction = detail::Transaction::begin(db, detail::TransactionKind::Write, kOperation);
    if (!transaction) return transaction.error();
    Change change = Change::Unchanged;
    for (const std::string& container : container_ids) {
      auto removed = impl_->change("DELETE FROM log_cursor WHERE container_id = ?1", std::string(kOperation),
                                   [&](detail::Use& use) { use.bind(1, container); });
      if (!removed) return removed.error();
      if (removed.value() == Change::Changed) change = Change::Changed;
    }
    if (auto error = transaction->commit(kOperation)) return *error;
    return change;
  });
}

}  // namespace engine::store

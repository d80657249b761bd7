// The bounded log buffer: appends drop the oldest lines beyond the
// capacity, readers resume after the last sequence number they saw.
#include <fmt/format.h>
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

Result<std::int64_t> Store::append_logs(const std::vector<LogEntry>& entries) {
  constexpr std::string_view kOperation = "append_logs";
  return impl_->guarded(kOperation, [&]() -> Result<std::int64_t> {
    if (entries.empty()) return std::int64_t{0};
    sqlite3* db = impl_->db.get();
    const UnsyncedCommits unsynced(db);
    auto transaction = detail::Transaction::begin(db, detail::TransactionKind::Write, kOperation);
    if (!transaction) return transaction.error();
    sqlite3_stmt* insert = nullptr;
    if (auto error = impl_->prepare("INSERT INTO log (timestamp_ms, app_id, service_name, stream, message) "
                                    "VALUES (?1, ?2, ?3, ?4, ?5)",
                                    kOperation, insert)) {
      return *error;
    }
    for (const LogEntry& entry : entries) {
      detail::Use use(db, insert, fmt::format("{}: insert", kOperation));
      use.bind(1, entry.timestamp_ms).bind(2, entry.app_id).bind(3, entry.service_name);
      use.bind(4, stream_name(entry.stream)).bind(5, entry.message);
      if (auto error = use.run()) return *error;
    }
    const std::int64_t last = sqlite3_last_insert_rowid(db);
    // Deletes every line at or below the (capacity+1)-th newest: exact even
    // if the capacity shrank since the last open, and an index range scan.
    sqlite3_stmt* trim = nullptr;
    if (auto error = impl_->prepare("DELETE FROM log WHERE seq <= "
                                    "(SELECT seq FROM log ORDER BY seq DESC LIMIT 1 OFFSET ?1)",
                                    kOperation, trim)) {
      return *error;
    }
    {
      detail::Use use(db, trim, fmt::format("{}: drop oldest", kOperation));
      use.bind(1, impl_->options.log_capacity);
      if (auto error = use.run()) return *error;
    }
    if (auto error = transaction->commit(kOperation)) return *error;
    return last;
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

}  // namespace engine::store

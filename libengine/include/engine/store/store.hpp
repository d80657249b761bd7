// The supervisor's SQLite store: the target state, image records, running
// commits, config values, API keys and a bounded log buffer, in one database
// file (docs/store.md). Schema changes come as numbered migrations under
// schema/migrations/, compiled into the library and applied at open.
//
// Every call returns a value or an Error and never throws. One Store may be
// used from several threads: calls are serialized on one connection.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/store/imported_state.hpp"
#include "engine/store/result.hpp"
#include "engine/store/types.hpp"
#include "reconcile/model.hpp"

namespace engine::store {

// How thoroughly the file is checked at open. Full (the default) also checks
// that every index matches its table, which decides API key lookups and
// image records; the database is small (the log buffer is bounded), so the
// full check costs milliseconds even on an SD card. Quick is O(pages) and
// meant for a much larger database.
enum class IntegrityCheck { Full, Quick };

struct StoreOptions {
  std::filesystem::path path;  // the database file; its folder must exist
  // How long a call waits for another process (e.g. the sqlite3 shell)
  // holding the write lock before it fails with SQLITE_BUSY.
  std::chrono::milliseconds busy_timeout{5000};
  // Log lines kept; appending beyond drops the oldest. At least 1.
  std::int64_t log_capacity = 10000;
  IntegrityCheck integrity_check = IntegrityCheck::Full;
  // Names the file a corrupt database is moved to. Empty: the system clock.
  std::function<std::chrono::system_clock::time_point()> now;
};

// A corrupt or unreadable database found at open: it was renamed to
// `moved_to` (its -wal and -shm files beside it, with the same suffix added)
// and a fresh database took its place, holding the target and config values
// of the state copy (Opened::copy says whether they could be restored). The
// daemon logs it (docs/store.md).
struct Recovery {
  std::filesystem::path moved_to;
  std::string reason;  // what SQLite said: the integrity check or the error
};

// What open() did with the state copy, the second file that keeps the
// target and the config values beside the database (docs/store.md, "The
// state copy").
enum class CopyAction {
  Kept,       // the copy and the database agree (or both are empty): nothing written
  Rewritten,  // the copy was missing, damaged or stale: written again from the database
  Restored,   // the database held nothing (fresh after a recovery, or deleted): the copy's state put back
  Salvaged,   // after a recovery, with no usable copy: the state read from the damaged file
  Lost,       // after a recovery, neither gave the state: the device starts as on first boot
};

[[nodiscard]] const char* to_string(CopyAction action);

struct CopyOutcome {
  CopyAction action = CopyAction::Kept;
  std::string detail;  // why (what was wrong with the copy, the damaged file); empty when Kept
  // The copy could not be written (Rewritten), or the database's state could
  // not be read to compare with it (Kept, both files left as they are). The
  // store works; the next change of the kept state writes the copy.
  std::optional<Error> error;
};

struct Opened;

class Store {
 public:
  // Opens (creating if needed) the database, checks its integrity, moves it
  // aside when corrupt, and applies the migrations it lacks. Fails when the
  // file cannot be opened at all, is locked past the busy timeout, was
  // migrated by a newer supervisor, or a migration fails: the file is then
  // left as it was.
  [[nodiscard]] static Result<Opened> open(StoreOptions options);

  Store(Store&&) noexcept;
  Store& operator=(Store&&) noexcept;
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;
  ~Store();

  // --- Target state ---------------------------------------------------
  // Replaces the stored target in one transaction: either all of it is
  // stored or the previous target stays. Rows equal to the stored ones are
  // not rewritten; an equal target writes nothing. A changed target also
  // rewrites the state copy before it commits: when that fails, nothing is
  // stored (ErrorKind::FileSystem).
  [[nodiscard]] Result<Change> set_target(const Target& target);
  // The stored target, or nullopt when none was ever stored (first boot).
  [[nodiscard]] Result<std::optional<Target>> target();

  // --- Image records (images the supervisor pulled or adopted) -------
  // Records an image. Records are keyed by every field but
  // docker_image_id; adding a known image with another engine id updates it.
  [[nodiscard]] Result<Change> add_image(const reconcile::Image& image);
  // Forgets the record with the image's key (docker_image_id is ignored).
  [[nodiscard]] Result<Change> remove_image(const reconcile::Image& image);
  // Every record, sorted.
  [[nodiscard]] Result<std::vector<reconcile::Image>> images();

  // --- Running commit per app (updateCommit) -------------------------
  [[nodiscard]] Result<Change> set_commit(reconcile::AppId app, std::string_view commit);
  [[nodiscard]] Result<std::optional<std::string>> commit(reconcile::AppId app);
  [[nodiscard]] Result<std::map<reconcile::AppId, std::string>> commits();
  [[nodiscard]] Result<Change> remove_commit(reconcile::AppId app);

  // --- Config key/values (the DB-held keys of docs/store.md) ---------
  // Kept in the state copy as the target is: a change rewrites it first.
  [[nodiscard]] Result<Change> set_config(std::string_view key, std::string_view value);
  // Sets several keys in one transaction.
  [[nodiscard]] Result<Change> set_config(const std::map<std::string, std::string>& values);
  [[nodiscard]] Result<std::optional<std::string>> config(std::string_view key);
  [[nodiscard]] Result<std::map<std::string, std::string>> config_values();
  [[nodiscard]] Result<Change> remove_config(std::string_view key);

  // --- API keys -------------------------------------------------------
  // Stores the owner's key, replacing the one it had (regeneration).
  [[nodiscard]] Result<Change> set_api_key(const ApiKey& key);
  [[nodiscard]] Result<std::optional<ApiKey>> api_key(const ApiKeyOwner& owner);
  // The key with this secret, for authenticating a request.
  [[nodiscard]] Result<std::optional<ApiKey>> find_api_key(std::string_view secret);
  // Every key, sorted by owner.
  [[nodiscard]] Result<std::vector<ApiKey>> api_keys();
  [[nodiscard]] Result<Change> remove_api_key(const ApiKeyOwner& owner);

  // --- Switch-over ----------------------------------------------------
  // Writes a state imported from another supervisor in one transaction:
  // the target (when it has one, replacing the stored one), image records,
  // commits, config values and API keys (each replacing the same owner's).
  // A failure leaves the store as it was (docs/switch-over.md).
  [[nodiscard]] Result<Change> import_state(const ImportedState& state);

  // --- Log buffer -----------------------------------------------------
  // Appends lines (one transaction) and drops the oldest beyond the
  // capacity. Returns the sequence number of the last line appended (0 when
  // `entries` is empty). Log writes are not synced to disk at each commit
  // (docs/store.md): a power cut may lose the last lines, never the file.
  [[nodiscard]] Result<std::int64_t> append_logs(const std::vector<LogEntry>& entries);
  [[nodiscard]] Result<std::int64_t> append_log(const LogEntry& entry);
  // Lines with a sequence number above `after`, oldest first, at most `limit`.
  [[nodiscard]] Result<std::vector<LogRecord>> logs_since(std::int64_t after, std::size_t limit);

  // --- Cloud log stream (docs/logs.md) --------------------------------
  // Spills lines to the log table (one transaction, not synced, as
  // append_logs). Returns how many of the oldest lines the capacity dropped.
  [[nodiscard]] Result<std::int64_t> spill_logs(const std::vector<SpilledLog>& lines);
  // The oldest lines of the table, at most `limit`.
  [[nodiscard]] Result<std::vector<SpilledLogRecord>> spilled_logs(std::size_t limit);
  // Deletes the lines up to and including `seq`.
  [[nodiscard]] Result<Change> remove_logs_through(std::int64_t seq);
  // Per container id, the engine time (ns) of its last line the cloud took.
  [[nodiscard]] Result<std::map<std::string, std::int64_t>> log_cursors();
  // Sets the given cursors (one transaction, synced: the cursor decides
  // what a restart sends again).
  [[nodiscard]] Result<Change> set_log_cursors(const std::map<std::string, std::int64_t>& cursors);
  [[nodiscard]] Result<Change> remove_log_cursors(const std::vector<std::string>& container_ids);

  // --- Diagnostics ----------------------------------------------------
  // Rows changed through this Store since it was opened
  // (sqlite3_total_changes64): lets tests see that nothing was written.
  [[nodiscard]] std::int64_t total_changes() const;
  // Migration versions recorded in the database, in order.
  [[nodiscard]] Result<std::vector<int>> schema_versions();
  [[nodiscard]] const std::filesystem::path& path() const;

  class Impl;  // the connection and statement cache (src/store/store_impl.hpp)

 private:
  explicit Store(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// What open() found and did.
struct Opened {
  Store store;
  std::optional<Recovery> recovery;  // set when a corrupt file was moved aside
  CopyOutcome copy;                  // what became of the state copy
  std::vector<int> migrations_applied;  // versions applied by this open, in order
};

}  // namespace engine::store

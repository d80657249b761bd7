// Reading the kept state out of a damaged database file, for when the state
// copy cannot be used. SQLite reads around damage it does not touch, but
// a damaged page can also silently drop rows from a scan; the integrity check
// of each table the state comes from must answer ok before anything is
// believed, since a target missing an app would remove that app's
// containers.
#include <fmt/format.h>

#include <string>

#include "kept_state.hpp"

namespace engine::store::detail {
namespace {

// The tables the kept state comes from, each checked on its own
// (integrity_check(TABLE), SQLite >= 3.33): damage elsewhere, in the log
// buffer or the image records, does not stop the salvage.
constexpr std::string_view kChecks[] = {
    "PRAGMA integrity_check(target_device)",
    "PRAGMA integrity_check(target_config)",
    "PRAGMA integrity_check(target_app)",
    "PRAGMA integrity_check(config)",
};

}  // namespace

Result<KeptState> salvage(const std::filesystem::path& damaged, const StoreOptions& options) {
  const std::string operation = fmt::format("salvage {}", damaged.string());
  sqlite3* raw = nullptr;
  // Read-only: the file stays as it was found, for inspection.
  const int rc = sqlite3_open_v2(damaged.c_str(), &raw, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr);
  Connection db(raw);
  if (rc != SQLITE_OK) return db ? sqlite_error(db.get(), operation) : sqlite_error(rc, operation);
  sqlite3_extended_result_codes(db.get(), 1);
  sqlite3_db_config(db.get(), SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
  StoreOptions salvage_options = options;
  salvage_options.path = damaged;
  Store::Impl impl(std::move(salvage_options), std::move(db));

  for (const std::string_view check : kChecks) {
    std::string problems;
    if (auto error = impl.for_each_row(
            check, operation, [](Use&) {},
            [&](Use& use) {
              const std::string line = use.text(0);
              if (line != "ok") problems += fmt::format(" {};", line);
            })) {
      return *error;
    }
    if (!problems.empty()) return Error{ErrorKind::Corrupt, operation, fmt::format("{}:{}", check, problems), 0};
  }
  auto transaction = Transaction::begin(impl.db.get(), TransactionKind::Read, operation);
  if (!transaction) return transaction.error();
  auto state = read_kept(impl, operation);
  if (!state) return state.error();
  if (auto error = transaction->commit(operation)) return *error;
  return state;
}

}  // namespace engine::store::detail

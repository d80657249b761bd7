// Config values the database holds (docs/store.md lists the keys).
#include <string>

#include "store_impl.hpp"

namespace engine::store {
namespace {

// The WHERE makes an equal value a no-op: no row changes, nothing written.
constexpr std::string_view kUpsert =
    "INSERT INTO config (key, value) VALUES (?1, ?2) "
    "ON CONFLICT (key) DO UPDATE SET value = excluded.value WHERE value IS NOT excluded.value";

Result<std::int64_t> upsert(Store::Impl& impl, std::string_view key, std::string_view value,
                            const std::string& operation) {
  sqlite3_stmt* statement = nullptr;
  if (auto error = impl.prepare(kUpsert, operation, statement)) return *error;
  detail::Use use(impl.db.get(), statement, operation);
  use.bind(1, key).bind(2, value);
  if (auto error = use.run()) return *error;
  return sqlite3_changes64(impl.db.get());
}

}  // namespace

Result<Change> Store::set_config(std::string_view key, std::string_view value) {
  const std::string operation = "set_config: " + std::string(key);
  return impl_->guarded(operation, [&]() -> Result<Change> {
    auto changed = upsert(*impl_, key, value, operation);
    if (!changed) return changed.error();
    return changed.value() > 0 ? Change::Changed : Change::Unchanged;
  });
}

Result<Change> Store::set_config(const std::map<std::string, std::string>& values) {
  constexpr std::string_view kOperation = "set_config";
  return impl_->guarded(kOperation, [&]() -> Result<Change> {
    auto transaction = detail::Transaction::begin(impl_->db.get(), detail::TransactionKind::Write, kOperation);
    if (!transaction) return transaction.error();
    std::int64_t changed = 0;
    for (const auto& [key, value] : values) {
      auto rows = upsert(*impl_, key, value, "set_config: " + key);
      if (!rows) return rows.error();
      changed += rows.value();
    }
    if (changed == 0) return Change::Unchanged;  // rolls back an empty transaction
    if (auto error = transaction->commit(kOperation)) return *error;
    return Change::Changed;
  });
}

Result<std::optional<std::string>> Store::config(std::string_view key) {
  const std::string operation = "config: " + std::string(key);
  return impl_->guarded(operation, [&]() -> Result<std::optional<std::string>> {
    sqlite3_stmt* statement = nullptr;
    if (auto error = impl_->prepare("SELECT value FROM config WHERE key = ?1", operation, statement)) return *error;
    detail::Use use(impl_->db.get(), statement, operation);
    use.bind(1, key);
    std::optional<std::string> value;
    if (use.next_row()) value = use.text(0);
    if (use.error()) return *use.error();
    return value;
  });
}

Result<std::map<std::string, std::string>> Store::config_values() {
  constexpr std::string_view kOperation = "config_values";
  return impl_->guarded(kOperation, [&]() -> Result<std::map<std::string, std::string>> {
    sqlite3_stmt* statement = nullptr;
    if (auto error = impl_->prepare("SELECT key, value FROM config", kOperation, statement)) return *error;
    detail::Use use(impl_->db.get(), statement, std::string(kOperation));
    std::map<std::string, std::string> values;
    while (use.next_row()) values.emplace(use.text(0), use.text(1));
    if (use.error()) return *use.error();
    return values;
  });
}

Result<Change> Store::remove_config(std::string_view key) {
  const std::string operation = "remove_config: " + std::string(key);
  return impl_->guarded(operation, [&]() -> Result<Change> {
    sqlite3_stmt* statement = nullptr;
    if (auto error = impl_->prepare("DELETE FROM config WHERE key = ?1", operation, statement)) return *error;
    detail::Use use(impl_->db.get(), statement, operation);
    use.bind(1, key);
    if (auto error = use.run()) return *error;
    return sqlite3_changes64(impl_->db.get()) > 0 ? Change::Changed : Change::Unchanged;
  });
}

}  // namespace engine::store

// Config values the database holds (docs/store.md lists the keys). They are
// part of the state copy: a change rewrites it before it commits.
#include <fmt/format.h>
#include <string>

#include "kept_state.hpp"
#include "store_impl.hpp"

namespace engine::store {
namespace {

// The WHERE makes an equal value a no-op: no row changes, nothing written.
constexpr std::string_view kUpsert =
    "INSERT INTO config (key, value) VALUES (?1, ?2) "
    "ON CONFLICT (key) DO UPDATE SET value = excluded.value WHERE value IS NOT excluded.value";

Result<std::int64_t> upsert(Store::Impl& impl, std::string_view key, std::string_view value,
                            const std::string& operation) {
  if (auto error = impl.run(kUpsert, operation, [&](detail::Use& use) { use.bind(1, key).bind(2, value); })) {
    return *error;
  }
  return sqlite3_changes64(impl.db.get());
}

}  // namespace

Result<Change> Store::set_config(std::string_view key, std::string_view value) {
  return set_config(std::map<std::string, std::string>{{std::string(key), std::string(value)}});
}

Result<Change> Store::set_config(const std::map<std::string, std::string>& values) {
  constexpr std::string_view kOperation = "set_config";
  return impl_->guarded(kOperation, [&]() -> Result<Change> {
    auto transaction = detail::Transaction::begin(impl_->db.get(), detail::TransactionKind::Write, kOperation);
    if (!transaction) return transaction.error();
    std::int64_t changed = 0;
    for (const auto& [key, value] : values) {
      auto rows = upsert(*impl_, key, value, fmt::format("set_config: {}", key));
      if (!rows) return rows.error();
      changed += rows.value();
    }
    if (changed == 0) return Change::Unchanged;  // rolls back an empty transaction
    // The state copy before the commit, as for the target (kept_state.hpp).
    if (auto error = detail::keep_copy(*impl_, kOperation)) return *error;
    if (auto error = transaction->commit(kOperation)) return *error;
    return Change::Changed;
  });
}

Result<std::optional<std::string>> Store::config(std::string_view key) {
  const std::string operation = fmt::format("config: {}", key);
  return impl_->guarded(operation, [&]() -> Result<std::optional<std::string>> {
    std::optional<std::string> value;  // key is the key: one row at most
    if (auto error = impl_->for_each_row(
            "SELECT value FROM config WHERE key = ?1", operation, [&](detail::Use& use) { use.bind(1, key); },
            [&](detail::Use& use) { value = use.text(0); })) {
      return *error;
    }
    return value;
  });
}

Result<std::map<std::string, std::string>> Store::config_values() {
  constexpr std::string_view kOperation = "config_values";
  return impl_->guarded(kOperation, [&]() -> Result<std::map<std::string, std::string>> {
    std::map<std::string, std::string> values;
    if (auto error = impl_->for_each_row(
            "SELECT key, value FROM config", std::string(kOperation), [](detail::Use&) {},
            [&](detail::Use& use) { values.emplace(use.text(0), use.text(1)); })) {
      return *error;
    }
    return values;
  });
}

Result<Change> Store::remove_config(std::string_view key) {
  const std::string operation = fmt::format("remove_config: {}", key);
  return impl_->guarded(operation, [&]() -> Result<Change> {
    auto transaction = detail::Transaction::begin(impl_->db.get(), detail::TransactionKind::Write, operation);
    if (!transaction) return transaction.error();
    auto removed = impl_->change("DELETE FROM config WHERE key = ?1", operation,
                                 [&](detail::Use& use) { use.bind(1, key); });
    if (!removed) return removed.error();
    if (removed.value() == Change::Unchanged) return Change::Unchanged;
    if (auto error = detail::keep_copy(*impl_, operation)) return *error;
    if (auto error = transaction->commit(operation)) return *error;
    return Change::Changed;
  });
}

}  // namespace engine::store

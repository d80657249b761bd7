// The target state: one target_device row, target_config rows and one
// target_app row per app, replaced together in one transaction. Only rows
// that differ are written, so storing the same target writes nothing.
#include <fmt/format.h>
#include <algorithm>
#include <map>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "reconcile/json.hpp"
#include "kept_state.hpp"
#include "store_impl.hpp"

namespace engine::store {
namespace {

using detail::Status;
using detail::Use;

// An app as stored. services/networks/volumes hold the JSON arrays of
// reconcile::to_json(App), so reading back goes through libreconcile's own
// plan-request reader: one JSON form per concept.
struct AppRow {
  std::int64_t app_id = 0;
  std::int64_t position = 0;
  std::string app_uuid;
  std::string name;
  std::int64_t is_host = 0;
  std::int64_t is_rejected = 0;
  std::optional<std::string> commit;
  std::optional<std::int64_t> release_id;
  std::string services;
  std::string networks;
  std::string volumes;

  friend bool operator==(const AppRow&, const AppRow&) = default;
};

AppRow to_row(const reconcile::App& app, std::int64_t position) {
  const nlohmann::json json = reconcile::to_json(app);
  return AppRow{app.app_id,
                position,
                app.app_uuid,
                app.name,
                app.is_host ? 1 : 0,
                app.is_rejected ? 1 : 0,
                app.commit,
                app.release_id,
                json.at("services").dump(),
                json.at("networks").dump(),
                json.at("volumes").dump()};
}

// The stored target, read inside the caller's transaction.
struct StoredRows {
  std::optional<std::string> device_name;  // nullopt: no target stored
  std::map<std::string, std::string> config;
  std::map<std::int64_t, AppRow> apps;
};

Result<StoredRows> read_rows(Store::Impl& impl, std::string_view operation) {
  StoredRows rows;
  sqlite3_stmt* statement = nullptr;
  if (auto error = impl.prepare("SELECT name FROM target_device WHERE id = 1", operation, statement)) return *error;
  {
    Use use(impl.db.get(), statement, fmt::format("{}: read device", operation));
    if (use.next_row()) rows.device_name = use.text(0);
    if (use.error()) return *use.error();
  }
  if (auto error = impl.prepare("SELECT key, value FROM target_config", operation, statement)) return *error;
  {
    Use use(impl.db.get(), statement, fmt::format("{}: read config", operation));
    while (use.next_row()) rows.config.emplace(use.text(0), use.text(1));
    if (use.error()) return *use.error();
  }
  if (auto error = impl.prepare("SELECT app_id, position, app_uuid, name, is_host, is_rejected, commit_hash, "
                                "release_id, services, networks, volumes FROM target_app",
                                operation, statement)) {
    return *error;
  }
  {
    Use use(impl.db.get(), statement, fmt::format("{}: read apps", operation));
    while (use.next_row()) {
      AppRow row{use.int64(0),        use.int64(1),         use.text(2), use.text(3),
                 use.int64(4),        use.int64(5),         use.optional_text(6),
                 use.optional_int64(7), use.text(8),        use.text(9), use.text(10)};
      rows.apps.emplace(row.app_id, std::move(row));
    }
    if (use.error()) return *use.error();
  }
  return rows;
}

Status write_app(Store::Impl& impl, const AppRow& row) {
  return impl.run("INSERT OR REPLACE INTO target_app (app_id, position, app_uuid, name, is_host, "
                  "is_rejected, commit_hash, release_id, services, networks, volumes) "
                  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                  fmt::format("set_target: write app {}", row.app_id), [&](Use& use) {
                    use.bind(1, row.app_id).bind(2, row.position).bind(3, row.app_uuid).bind(4, row.name);
                    use.bind(5, row.is_host).bind(6, row.is_rejected).bind(7, row.commit).bind(8, row.release_id);
                    use.bind(9, row.services).bind(10, row.networks).bind(11, row.volumes);
                  });
}

Status delete_app(Store::Impl& impl, std::int64_t app_id) {
  return impl.run("DELETE FROM target_app WHERE app_id = ?1", fmt::format("set_target: delete app {}", app_id),
                  [&](Use& use) { use.bind(1, app_id); });
}

Status write_config(Store::Impl& impl, const std::string& key, const std::string& value) {
  return impl.run("INSERT OR REPLACE INTO target_config (key, value) VALUES (?1, ?2)",
                  fmt::format("set_target: write config {}", key),
                  [&](Use& use) { use.bind(1, key).bind(2, value); });
}

Status delete_config(Store::Impl& impl, const std::string& key) {
  return impl.run("DELETE FROM target_config WHERE key = ?1", fmt::format("set_target: delete config {}", key),
                  [&](Use& use) { use.bind(1, key); });
}

Status write_device(Store::Impl& impl, const std::string& name) {
  return impl.run("INSERT OR REPLACE INTO target_device (id, name) VALUES (1, ?1)", "set_target: write device",
                  [&](Use& use) { use.bind(1, name); });
}

// Parses a stored JSON array column; names the app and column on failure.
Result<nlohmann::json> stored_array(const std::string& text, std::int64_t app_id, const char* column) {
  nlohmann::json json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_array()) {
    return Error{ErrorKind::StoredData, fmt::format("target: read app {}", app_id),
                 fmt::format("column {} is not a JSON array", column), 0};
  }
  return json;
}

}  // namespace

namespace detail {

Result<bool> write_target(Store::Impl& impl, const Target& target, std::string_view operation) {
  std::map<std::int64_t, AppRow> wanted;
  std::int64_t position = 0;
  for (const reconcile::App& app : target.state.apps) {
    if (!wanted.emplace(app.app_id, to_row(app, position++)).second) {
      return Error{ErrorKind::StoredData, std::string(operation),
                   fmt::format("app {} appears twice in the target", app.app_id), 0};
    }
  }
  auto stored = read_rows(impl, operation);
  if (!stored) return stored.error();

  bool changed = false;
  // Runs one write and remembers that something was written.
  auto apply = [&changed](Status status) {
    changed = true;
    return status;
  };
  if (stored->device_name != target.device_name) {
    if (auto error = apply(write_device(impl, target.device_name))) return *error;
  }
  for (const auto& [key, value] : stored->config) {
    if (target.device_config.count(key) == 0) {
      if (auto error = apply(delete_config(impl, key))) return *error;
    }
  }
  for (const auto& [key, value] : target.device_config) {
    const auto found = stored->config.find(key);
    if (found == stored->config.end() || found->second != value) {
      if (auto error = apply(write_config(impl, key, value))) return *error;
    }
  }
  for (const auto& [app_id, row] : stored->apps) {
    if (wanted.count(app_id) == 0) {
      if (auto error = apply(delete_app(impl, app_id))) return *error;
    }
  }
  for (const auto& [app_id, row] : wanted) {
    const auto found = stored->apps.find(app_id);
    if (found == stored->apps.end() || !(found->second == row)) {
      if (auto error = apply(write_app(impl, row))) return *error;
    }
  }
  return changed;
}

Result<std::optional<Target>> read_target(Store::Impl& impl, std::string_view operation) {
  auto stored = read_rows(impl, operation);
  if (!stored) return stored.error();
  if (!stored->device_name) return std::optional<Target>();

  std::vector<const AppRow*> ordered;
  for (const auto& [app_id, row] : stored->apps) ordered.push_back(&row);
  std::stable_sort(ordered.begin(), ordered.end(),
                   [](const AppRow* a, const AppRow* b) { return a->position < b->position; });
  nlohmann::json apps = nlohmann::json::array();
  for (const AppRow* row : ordered) {
    nlohmann::json app = {{"appId", row->app_id},          {"appUuid", row->app_uuid},
                          {"name", row->name},             {"isHost", row->is_host != 0},
                          {"isRejected", row->is_rejected != 0}};
    if (row->commit) app["commit"] = *row->commit;
    if (row->release_id) app["releaseId"] = *row->release_id;
    for (const auto& [key, text] : {std::pair{"services", &row->services}, std::pair{"networks", &row->networks},
                                    std::pair{"volumes", &row->volumes}}) {
      auto array = stored_array(*text, row->app_id, key);
      if (!array) return array.error();
      app[key] = std::move(array).value();
    }
    apps.push_back(std::move(app));
  }
  auto parsed = reconcile::parse_plan_request(nlohmann::json{{"target", {{"apps", std::move(apps)}}}});
  if (!parsed.ok()) {
    return Error{ErrorKind::StoredData, std::string(operation),
                 fmt::format("the stored target does not parse: {}", parsed.error().to_string()), 0};
  }
  Target target;
  target.device_name = *stored->device_name;
  target.device_config = std::move(stored->config);
  target.state = std::move(parsed).value().target;
  return std::optional<Target>(std::move(target));
}

}  // namespace detail

Result<Change> Store::set_target(const Target& target) {
  constexpr std::string_view kOperation = "set_target";
  return impl_->guarded(kOperation, [&]() -> Result<Change> {
    Impl& impl = *impl_;
    auto transaction = detail::Transaction::begin(impl.db.get(), detail::TransactionKind::Write, kOperation);
    if (!transaction) return transaction.error();
    auto changed = detail::write_target(impl, target, kOperation);
    if (!changed) return changed.error();
    // Nothing differs: the transaction rolls back having written nothing.
    if (!changed.value()) return Change::Unchanged;
    // The copy before the commit: a target is accepted only once both hold
    // it, and a failure here rolls the rows back (docs/store.md).
    if (auto error = detail::keep_copy(impl, kOperation)) return *error;
    if (auto error = transaction->commit(kOperation)) return *error;
    return Change::Changed;
  });
}

Result<std::optional<Target>> Store::target() {
  constexpr std::string_view kOperation = "target";
  return impl_->guarded(kOperation, [&]() -> Result<std::optional<Target>> {
    auto transaction = detail::Transaction::begin(impl_->db.get(), detail::TransactionKind::Read, kOperation);
    if (!transaction) return transaction.error();
    auto target = detail::read_target(*impl_, kOperation);
    if (!target) return target.error();
    if (auto error = transaction->commit(kOperation)) return *error;
    return target;
  });
}

}  // namespace engine::store

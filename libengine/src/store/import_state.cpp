// Store::import_state: a switch-over's whole state in one write transaction,
// with the state copy written before the commit as for every target change.
#include <fmt/format.h>
#include <string>

#include <nlohmann/json.hpp>

#include "kept_state.hpp"
#include "store_impl.hpp"

namespace engine::store {
namespace {

using detail::Status;
using detail::Use;

std::string scopes_text(const std::vector<ApiScope>& scopes) {
  nlohmann::json out = nlohmann::json::array();
  for (const ApiScope& scope : scopes) {
    out.push_back(scope.type == ScopeType::Global ? nlohmann::json{{"type", "global"}}
                                                  : nlohmann::json{{"type", "app"}, {"appId", scope.app_id}});
  }
  return out.dump();
}

Status write_image(Store::Impl& impl, const reconcile::Image& image) {
  return impl.run(
      "INSERT INTO image (name, app_id, app_uuid, service_name, service_id, image_id, release_id, "
      "commit_hash, docker_image_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) "
      "ON CONFLICT (name, app_id, app_uuid, service_name, service_id, image_id, release_id, commit_hash) "
      "DO UPDATE SET docker_image_id = excluded.docker_image_id WHERE excluded.docker_image_id IS NOT NULL",
      fmt::format("import_state: image '{}' of app {} service {}", image.name, image.app_id, image.service_name),
      [&](Use& use) {
        use.bind(1, image.name).bind(2, image.app_id).bind(3, image.app_uuid).bind(4, image.service_name);
        use.bind(5, image.service_id).bind(6, image.image_id).bind(7, image.release_id).bind(8, image.commit);
        use.bind(9, image.docker_image_id);
      });
}

Status write_commit(Store::Impl& impl, reconcile::AppId app, const std::string& commit) {
  return impl.run(
      "INSERT INTO current_commit (app_id, commit_hash) VALUES (?1, ?2) "
      "ON CONFLICT (app_id) DO UPDATE SET commit_hash = excluded.commit_hash",
      fmt::format("import_state: commit of app {}", app), [&](Use& use) { use.bind(1, app).bind(2, commit); });
}

Status write_config(Store::Impl& impl, const std::string& key, const std::string& value) {
  return impl.run("INSERT INTO config (key, value) VALUES (?1, ?2) "
                  "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                  fmt::format("import_state: config {}", key), [&](Use& use) { use.bind(1, key).bind(2, value); });
}

Status write_key(Store::Impl& impl, const ApiKey& key) {
  // As set_api_key: a secret another owner holds fails (UNIQUE) rather than
  // silently taking that owner's key away.
  return impl.run("INSERT INTO api_key (app_id, service_name, key, scopes) VALUES (?1, ?2, ?3, ?4) "
                  "ON CONFLICT (app_id, service_name) DO UPDATE SET key = excluded.key, scopes = excluded.scopes",
                  key.owner.is_global()
                      ? std::string("import_state: global key")
                      : fmt::format("import_state: key of app {} service {}", key.owner.app_id,
                                    key.owner.service_name),
                  [&](Use& use) {
                    use.bind(1, key.owner.app_id).bind(2, key.owner.service_name);
                    use.bind(3, key.key).bind(4, scopes_text(key.scopes));
                  });
}

}  // namespace

Result<Change> Store::import_state(const ImportedState& state) {
  constexpr std::string_view kOperation = "import_state";
  return impl_->guarded(kOperation, [&]() -> Result<Change> {
    Impl& impl = *impl_;
    auto transaction = detail::Transaction::begin(impl.db.get(), detail::TransactionKind::Write, kOperation);
    if (!transaction) return transaction.error();
    const std::int64_t before = sqlite3_total_changes64(impl.db.get());
    if (state.target) {
      auto written = detail::write_target(impl, *state.target, kOperation);
      if (!written) return written.error();
    }
    for (const reconcile::Image& image : state.images) {
      if (auto error = write_image(impl, image)) return *error;
    }
    for (const auto& [app, commit] : state.commits) {
      if (auto error = write_commit(impl, app, commit)) return *error;
    }
    for (const auto& [key, value] : state.config) {
      if (auto error = write_config(impl, key, value)) return *error;
    }
    for (const ApiKey& key : state.api_keys) {
      if (auto error = write_key(impl, key)) return *error;
    }
    if (sqlite3_total_changes64(impl.db.get()) == before) return Change::Unchanged;
    if (auto error = detail::keep_copy(impl, kOperation)) return *error;
    if (auto error = transaction->commit(kOperation)) return *error;
    return Change::Changed;
  });
}

}  // namespace engine::store

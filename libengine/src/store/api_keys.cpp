// API keys of the local API: the global key and one per service with the
// supervisor-api feature. Scopes are stored as the balena supervisor writes
// them: [{"type":"global"}] or [{"type":"app","appId":1}].
#include <fmt/format.h>
#include <algorithm>
#include <string>

#include <nlohmann/json.hpp>

#include "store_impl.hpp"

namespace engine::store {
namespace {

std::string describe(const ApiKeyOwner& owner) {
  return owner.is_global() ? std::string("global key")
                           : fmt::format("key of app {} service {}", owner.app_id, owner.service_name);
}

std::string scopes_json(const std::vector<ApiScope>& scopes) {
  nlohmann::json out = nlohmann::json::array();
  for (const ApiScope& scope : scopes) {
    if (scope.type == ScopeType::Global) {
      out.push_back({{"type", "global"}});
    } else {
      out.push_back({{"type", "app"}, {"appId", scope.app_id}});
    }
  }
  return out.dump();
}

Result<std::vector<ApiScope>> read_scopes(const std::string& text, const std::string& operation) {
  const nlohmann::json json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  auto bad = [&] {
    return Error{ErrorKind::StoredData, operation, fmt::format("scopes is not a list of scopes: {}", text), 0};
  };
  if (json.is_discarded() || !json.is_array()) return bad();
  std::vector<ApiScope> scopes;
  for (const nlohmann::json& item : json) {
    if (!item.is_object()) return bad();
    const auto type = item.find("type");
    if (type == item.end() || !type->is_string()) return bad();
    if (*type == "global") {
      scopes.push_back({ScopeType::Global, 0});
    } else if (*type == "app") {
      const auto app = item.find("appId");
      if (app == item.end() || !app->is_number_integer()) return bad();
      scopes.push_back({ScopeType::App, app->get<reconcile::AppId>()});
    } else {
      return bad();
    }
  }
  return scopes;
}

// Reads every key selected by `sql` (columns app_id, service_name, key,
// scopes), binding `bind` first.
template <class Bind>
Result<std::vector<ApiKey>> select_keys(Store::Impl& impl, std::string_view sql, const std::string& operation,
                                        Bind bind) {
  sqlite3_stmt* statement = nullptr;
  if (auto error = impl.prepare(sql, operation, statement)) return *error;
  detail::Use use(impl.db.get(), statement, operation);
  bind(use);
  std::vector<ApiKey> keys;
  while (use.next_row()) {
    ApiKey key;
    key.owner = ApiKeyOwner{use.int64(0), use.text(1)};
    key.key = use.text(2);
    auto scopes = read_scopes(use.text(3), operation);
    if (!scopes) return scopes.error();
    key.scopes = std::move(scopes).value();
    keys.push_back(std::move(key));
  }
  if (use.error()) return *use.error();
  return keys;
}

Result<std::optional<ApiKey>> first(Result<std::vector<ApiKey>> keys) {
  if (!keys) return keys.error();
  if (keys->empty()) return std::optional<ApiKey>();
  return std::optional<ApiKey>(std::move(keys->front()));
}

}  // namespace

Result<Change> Store::set_api_key(const ApiKey& key) {
  const std::string operation = fmt::format("set_api_key: {}", describe(key.owner));
  return impl_->guarded(operation, [&]() -> Result<Change> {
    // An upsert on the owner, not INSERT OR REPLACE: a secret that another
    // owner holds must fail (UNIQUE), not silently delete that owner's key.
    return impl_->change(
        "INSERT INTO api_key (app_id, service_name, key, scopes) "
        "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (app_id, service_name) "
        "DO UPDATE SET key = excluded.key, scopes = excluded.scopes "
        "WHERE key IS NOT excluded.key OR scopes IS NOT excluded.scopes",
        operation, [&](detail::Use& use) {
          use.bind(1, key.owner.app_id).bind(2, key.owner.service_name);
          use.bind(3, key.key).bind(4, scopes_json(key.scopes));
        });
  });
}

Result<std::optional<ApiKey>> Store::api_key(const ApiKeyOwner& owner) {
  const std::string operation = fmt::format("api_key: {}", describe(owner));
  return impl_->guarded(operation, [&]() -> Result<std::optional<ApiKey>> {
    return first(select_keys(*impl_,
                             "SELECT app_id, service_name, key, scopes FROM api_key "
                             "WHERE app_id = ?1 AND service_name = ?2",
                             operation, [&](detail::Use& use) { use.bind(1, owner.app_id).bind(2, owner.service_name); }));
  });
}

Result<std::optional<ApiKey>> Store::find_api_key(std::string_view secret) {
  // The secret itself stays out of error messages and logs.
  const std::string operation = "find_api_key";
  return impl_->guarded(operation, [&]() -> Result<std::optional<ApiKey>> {
    return first(select_keys(*impl_, "SELECT app_id, service_name, key, scopes FROM api_key WHERE key = ?1",
                             operation, [&](detail::Use& use) { use.bind(1, secret); }));
  });
}

Result<std::vector<ApiKey>> Store::api_keys() {
  const std::string operation = "api_keys";
  return impl_->guarded(operation, [&]() -> Result<std::vector<ApiKey>> {
    return select_keys(*impl_, "SELECT app_id, service_name, key, scopes FROM api_key ORDER BY app_id, service_name",
                       operation, [](detail::Use&) {});
  });
}

Result<Change> Store::remove_api_key(const ApiKeyOwner& owner) {
  const std::string operation = fmt::format("remove_api_key: {}", describe(owner));
  return impl_->guarded(operation, [&]() -> Result<Change> {
    return impl_->change("DELETE FROM api_key WHERE app_id = ?1 AND service_name = ?2", operation,
                         [&](detail::Use& use) { use.bind(1, owner.app_id).bind(2, owner.service_name); });
  });
}

}  // namespace engine::store

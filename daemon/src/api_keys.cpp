#include "api_keys.hpp"

#include <fmt/format.h>

#include "engine/runtime/store_records.hpp"

namespace supervisor {
namespace {

// A stored key's scope as the API applies it: balena's scopes list holds
// one entry, global or one app.
api::KeyScope scope_of_key(const engine::store::ApiKey& key) {
  for (const engine::store::ApiScope& scope : key.scopes) {
    if (scope.type == engine::store::ScopeType::Global) return api::KeyScope{};
  }
  if (key.scopes.empty()) return api::KeyScope{std::int64_t{-1}};  // no scope: allows no app
  return api::KeyScope{key.scopes.front().app_id};
}

}  // namespace

ApiKeys::ApiKeys(engine::store::Store& store, std::string global_key, engine::cloud::HexSource random)
    : store_(store), random_(std::move(random)), global_key_(std::move(global_key)) {}

std::string ApiKeys::global_key() const {
  const std::lock_guard<std::mutex> lock(mutex_);
  return global_key_;
}

engine::Result<std::optional<api::KeyScope>> ApiKeys::scope_of(const std::string& key) {
  if (key.empty()) return std::optional<api::KeyScope>{};
  if (key == global_key()) return std::optional<api::KeyScope>{api::KeyScope{}};
  auto found = store_.find_api_key(key);
  if (!found) return engine::error_from(found.error());
  if (!found.value()) return std::optional<api::KeyScope>{};
  return std::optional<api::KeyScope>{scope_of_key(*found.value())};
}

engine::Result<std::string> ApiKeys::fresh_key() {
  auto hex = random_(32);
  if (!hex) return engine::Error{engine::ErrorKind::FileSystem, hex.error().describe()};
  return std::move(hex).value();
}

engine::Result<std::string> ApiKeys::service_key(std::int64_t app_id, const std::string& service_name) {
  const std::lock_guard<std::mutex> lock(mutex_);
  const auto owner = engine::store::ApiKeyOwner::service(app_id, service_name);
  auto stored = store_.api_key(owner);
  if (!stored) return engine::error_from(stored.error());
  if (stored.value()) return stored.value()->key;
  auto key = fresh_key();
  if (!key) return key;
  const engine::store::ApiKey created{owner, key.value(), {{engine::store::ScopeType::App, app_id}}};
  if (auto saved = store_.set_api_key(created); !saved) return engine::error_from(saved.error());
  return created.key;
}

engine::Result<std::string> ApiKeys::regenerate(const std::string& key) {
  auto replacement = fresh_key();
  if (!replacement) return replacement;
  const std::lock_guard<std::mutex> lock(mutex_);
  if (!key.empty() && key == global_key_) {
    // The identity keeps the global key in the config table ("apiKey").
    if (auto saved = store_.set_config("apiKey", replacement.value()); !saved) {
      return engine::error_from(saved.error());
    }
    global_key_ = replacement.value();
    return replacement;
  }
  auto found = store_.find_api_key(key);
  if (!found) return engine::error_from(found.error());
  if (key.empty() || !found.value()) {
    return engine::Error{engine::ErrorKind::NotFound, "the request's key is no key of this device"};
  }
  engine::store::ApiKey renewed = *found.value();
  renewed.key = replacement.value();
  if (auto saved = store_.set_api_key(renewed); !saved) return engine::error_from(saved.error());
  return replacement;
}

}  // namespace supervisor

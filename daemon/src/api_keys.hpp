// The local API's keys (local-api.md §2.4): the device's global key and one
// key per service with the supervisor-api feature, scoped to its app. The
// service keys live in the store's api_keys table (as balena's apiSecret),
// so a service keeps its key across restarts and a switch-over.
#pragma once

#include <mutex>
#include <optional>
#include <string>

#include "api/device_api.hpp"
#include "engine/cloud/provision.hpp"
#include "engine/common/error.hpp"
#include "engine/store/store.hpp"

namespace supervisor {

class ApiKeys {
 public:
  ApiKeys(engine::store::Store& store, std::string global_key, engine::cloud::HexSource random);

  // The scope of `key`; nullopt when it is no key of this device; a Store
  // failure when it cannot be looked up.
  [[nodiscard]] engine::Result<std::optional<api::KeyScope>> scope_of(const std::string& key);
  // The key of a service with the supervisor-api feature: its stored key,
  // or a new one stored now (the container is created with it).
  [[nodiscard]] engine::Result<std::string> service_key(std::int64_t app_id, const std::string& service_name);
  // Replaces `key` by a new one of the same owner and scope: the old key
  // stops working at once. NotFound when `key` is no key of this device.
  [[nodiscard]] engine::Result<std::string> regenerate(const std::string& key);
  // The device's global key (reported to the cloud as api_secret).
  [[nodiscard]] std::string global_key() const;

 private:
  [[nodiscard]] engine::Result<std::string> fresh_key();

  engine::store::Store& store_;
  engine::cloud::HexSource random_;
  mutable std::mutex mutex_;
  std::string global_key_;
};

}  // namespace supervisor

// Device tags (cloud-protocol §3.2 read, §7 write). The local API's
// GET /v2/device/tags reads them live through pine; PATCH /v2/device/tags
// queues values that a sender writes with send_device_tags, only those that
// differ from what the cloud accepted last (tags_to_send).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "engine/cloud/error.hpp"
#include "engine/cloud/http.hpp"

namespace engine::cloud {

struct DeviceTag {
  std::int64_t id = 0;
  std::string tag_key;
  std::string value;

  friend bool operator==(const DeviceTag&, const DeviceTag&) = default;
};

// tag key -> value
using TagValues = std::map<std::string, std::string>;

// At most one tags PATCH per 10 s (§7).
inline constexpr std::chrono::milliseconds kTagsMinInterval{10000};

// GET /v7/device_tag?$select=id,tag_key,value&$filter=device eq <id> with
// the device key. BadResponse when an entry's id is not a number or its
// tag_key or value not a string (§3.2).
[[nodiscard]] Result<std::vector<DeviceTag>> read_device_tags(HttpClient& api, const std::string& device_api_key,
                                                              std::int64_t device_id,
                                                              const std::atomic<bool>* cancel = nullptr);

// PATCH /device/v3/tags with {"<uuid>": {key: value, ...}}; any 2xx is
// success, anything else an error to retry (§0.3 backoff).
[[nodiscard]] Status send_device_tags(HttpClient& api, const std::string& device_api_key, const std::string& uuid,
                                      const TagValues& tags, const std::atomic<bool>* cancel = nullptr);

// The target values that differ from the last reported ones (a key never
// reported counts as different). Tags are never deleted, so a key only in
// `reported` is nothing to send.
[[nodiscard]] TagValues tags_to_send(const TagValues& target, const TagValues& reported);

}  // namespace engine::cloud

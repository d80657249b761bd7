// The SUPERVISOR_* config variables the supervisor itself obeys
// (balena-supervisor-behaviour §8.1), read from a target state's `config`
// map, and the device-side cloud calls that come with a preload: parsing
// apps.json and pinning the device to the preloaded release (§3.3).
// Pure functions but for pin_to_release, which is one cloud exchange.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "engine/cloud/error.hpp"
#include "engine/cloud/http.hpp"
#include "reconcile/json.hpp"

namespace engine::cloud {

// What the variables set. A variable the target does not carry (or whose
// value does not read) keeps its default: the device obeys the cloud, and
// the cloud's absence of a value means "default", never "keep the old one".
struct SupervisorSettings {
  std::chrono::milliseconds poll_interval{900000};  // SUPERVISOR_POLL_INTERVAL (fallback: config.json's)
  bool instant_updates = true;                      // SUPERVISOR_INSTANT_UPDATE_TRIGGER
  bool local_mode = false;                          // SUPERVISOR_LOCAL_MODE
  bool persistent_logging = false;                  // SUPERVISOR_PERSISTENT_LOGGING (config.json)
  bool connectivity_check = true;                   // SUPERVISOR_CONNECTIVITY_CHECK
  bool delta = false;                               // SUPERVISOR_DELTA: stored for later, not used yet
  friend bool operator==(const SupervisorSettings&, const SupervisorSettings&) = default;
};

// The known variables of a target config map by their bare names
// ("SUPERVISOR_DELTA"), BALENA_ > RESIN_ > bare as config_var() picks them.
// The store keeps this form.
[[nodiscard]] std::map<std::string, std::string> supervisor_config_values(
    const std::map<std::string, std::string>& target_config);

// A target's config map as the store keeps it: names without their
// BALENA_/RESIN_ prefix, BALENA_ winning over RESIN_ over the bare name.
[[nodiscard]] std::map<std::string, std::string> config_without_prefixes(
    const std::map<std::string, std::string>& target_config);

// The settings these values give (bare names, as supervisor_config_values
// returns them; prefixed names work too). Booleans read as balena reads
// them: true/1/on and false/0/off, case-insensitive.
[[nodiscard]] SupervisorSettings supervisor_settings(const std::map<std::string, std::string>& values,
                                                     std::chrono::milliseconds default_poll_interval);

// The defaults as config values (for the initial config report, §3.1).
[[nodiscard]] std::map<std::string, std::string> supervisor_config_defaults(
    std::chrono::milliseconds default_poll_interval);

// ---- preload (behaviour §5.3, cloud-protocol §3.3) ---------------------------

// The release a preloaded device is to be pinned to.
struct PinRequest {
  std::int64_t app_id = 0;
  std::string commit;
  friend bool operator==(const PinRequest&, const PinRequest&) = default;
};

struct Preload {
  reconcile::CloudTargetState target;
  std::optional<PinRequest> pin;  // "pinDevice": true, and the fleet app has a release
};

// apps.json in the v3 form a preload writes: {"name"?, "config", "apps":
// {<app uuid>: {...}}, "pinDevice"?}, i.e. one device entry of a v3 target
// without the uuid key. Parsed and validated as a polled target for
// `device_uuid`. Config error naming the JSON pointer when it does not read;
// an empty object ({} , what a consumed preload leaves) is a Config error
// too: there is nothing to preload.
[[nodiscard]] Result<Preload> parse_preload(std::string_view text, const std::string& device_uuid);

// The pin request as the store keeps it (balena's `pinDevice` key):
// {"app":<id>,"commit":"<commit>"}; and back (nullopt when unreadable).
[[nodiscard]] std::string pin_request_text(const PinRequest& pin);
[[nodiscard]] std::optional<PinRequest> parse_pin_request(std::string_view text);

enum class PinOutcome {
  Pinned,          // PATCH /v7/device(<id>) {"is_pinned_on__release"} succeeded
  NoSuchRelease,   // the cloud has no successful release with that commit: drop the request
};

// §3.3 steps 1 and 3 with the device key: the release's id by commit, then
// the PATCH. Step 2 (a target fetch) is the caller's. Errors: retry later.
[[nodiscard]] Result<PinOutcome> pin_to_release(HttpClient& api, const std::string& device_api_key,
                                                std::int64_t device_id, const PinRequest& pin,
                                                const std::atomic<bool>* cancel = nullptr);

}  // namespace engine::cloud

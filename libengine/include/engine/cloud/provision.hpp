// Provisioning (cloud-protocol §2): the decision table as a pure function,
// the registration and key-exchange calls, and provision(), which runs one
// attempt and updates config.json. It never sleeps: on failure it returns
// the delay (bootstrapRetryDelay) for the caller to wait before the next
// attempt. Also the initial config report (§3.1).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "engine/cloud/config_json.hpp"
#include "engine/cloud/error.hpp"
#include "engine/cloud/http.hpp"

namespace engine::cloud {

// §2.2, with P = apiKey (provisioning key):
//   registered_at and deviceId set, no P  -> None
//   no registered_at                      -> Register (409 -> key exchange with regenerate)
//   registered_at set, no deviceId        -> KeyExchangeWithRegenerate
//   registered_at and deviceId set, P set -> KeyExchangeWithoutRegenerate
// "set" means present and truthy (0 and "" are unset).
enum class ProvisionAction { None, Register, KeyExchangeWithRegenerate, KeyExchangeWithoutRegenerate };

[[nodiscard]] const char* to_string(ProvisionAction action);
[[nodiscard]] ProvisionAction decide_provision(const ConfigJson& config);

// Random lowercase hex of the given length; injected so tests are repeatable.
using HexSource = std::function<Result<std::string>(std::size_t chars)>;
// Reads /dev/urandom (FileSystem error when it cannot).
[[nodiscard]] HexSource urandom_hex();

// §2.1 step 1: generates a missing uuid (32 hex) and, on a managed device, a
// missing or empty deviceApiKey (32 hex). True when the config changed and
// must be saved before anything uses the new values.
[[nodiscard]] Result<bool> ensure_identity(ConfigJson& config, const HexSource& hex);

// What the device says about itself when it registers (§2.3). Absent values
// are left out of the body.
struct DeviceInfo {
  std::string device_type;  // slug from device-type.json
  std::optional<std::string> supervisor_version;
  std::optional<std::string> os_version;   // PRETTY_NAME
  std::optional<std::string> os_variant;   // "prod" or "dev"
  std::optional<std::string> mac_address;  // space-separated, upper case
};

struct RegisterRequest {
  std::string provisioning_key;
  std::int64_t application_id = 0;
  std::string uuid;
  std::string device_api_key;
  DeviceInfo device;
};

// The JSON body of POST /device/register, keys in the supervisor's order.
[[nodiscard]] std::string register_body(const RegisterRequest& request);

// POST /device/register. The cloud's device id on 201; HttpStatus otherwise
// (http_status 409 when the uuid or the key exists already); BadResponse
// when the 201 body has no numeric id.
[[nodiscard]] Result<std::int64_t> register_device(HttpClient& api, const RegisterRequest& request,
                                                   const std::atomic<bool>* cancel = nullptr);

// GET /v7/device?$select=id&$filter=uuid eq '<uuid>' with `key`: the id.
// An empty list ({"d":[]}, the key sees no such device) is BadResponse with
// http_status 200; a wrong key is HttpStatus 401 (captures 56, 65).
[[nodiscard]] Result<std::int64_t> lookup_device_id(HttpClient& api, const std::string& uuid,
                                                    const std::string& key,
                                                    const std::atomic<bool>* cancel = nullptr);

// POST /api-key/device/<id>/device-key {"apiKey": D} with the provisioning
// key; success only on 200.
[[nodiscard]] Status exchange_device_key(HttpClient& api, std::int64_t device_id,
                                         const std::string& provisioning_key, const std::string& device_api_key,
                                         const std::atomic<bool>* cancel = nullptr);

// §2.4 steps 1-3: the device id once the device key is known to work.
// Step 1's failure of any kind falls through to steps 2-3, as the
// supervisor does; the error returned is the last step's.
[[nodiscard]] Result<std::int64_t> key_exchange(HttpClient& api, const ConfigJson& config,
                                                const std::atomic<bool>* cancel = nullptr);

enum class ProvisionState {
  AlreadyProvisioned,  // nothing was done
  Provisioned,         // this attempt succeeded; config.json was updated
  RetryLater,          // wait retry_delay, then call provision() again
};

struct ProvisionOutcome {
  ProvisionState state = ProvisionState::RetryLater;
  ProvisionAction action = ProvisionAction::None;  // what was attempted
  std::optional<std::int64_t> device_id;           // when provisioned
  std::optional<Error> error;                      // why it must retry
  bool regenerated = false;  // a key-exchange failure wrote a new uuid and deviceApiKey
  std::chrono::milliseconds retry_delay{0};  // bootstrapRetryDelay, when RetryLater
};

// One provisioning attempt (§2.2-§2.5). On success writes registered_at
// (kept, or now_ms if it just registered) and deviceId, deletes apiKey, and
// saves config.json atomically before returning. On a key-exchange failure
// in the with-regenerate variant, writes a new uuid and deviceApiKey first.
// `api` must point at apiEndpoint. The caller switches its calls to
// deviceApiKey afterwards (§2.5).
[[nodiscard]] ProvisionOutcome provision(HttpClient& api, const std::filesystem::path& config_path,
                                         ConfigJson& config, const DeviceInfo& device, std::int64_t now_ms,
                                         const HexSource& hex, const std::atomic<bool>* cancel = nullptr);

// ---- §3.1 initial config report -----------------------------------------

// A config var to create on the device: name with the RESIN_ prefix (§12.11).
struct ConfigVar {
  std::string name;
  std::string value;
  friend bool operator==(const ConfigVar&, const ConfigVar&) = default;
};

// The value of a supervisor config var in a target state's `config` map:
// BALENA_<name> wins over RESIN_<name>, which wins over the bare name.
[[nodiscard]] std::optional<std::string> config_var(const std::map<std::string, std::string>& target_config,
                                                    const std::string& name);

// §3.1 step 2: every current value (keyed by bare name, "SUPERVISOR_DELTA")
// the target has no value for and that differs from its default, sorted by
// name. SUPERVISOR_LOCAL_MODE is always sent as "false" and
// SUPERVISOR_VPN_CONTROL as "true".
[[nodiscard]] std::vector<ConfigVar> initial_config_vars(const std::map<std::string, std::string>& target_config,
                                                         const std::map<std::string, std::string>& current,
                                                         const std::map<std::string, std::string>& defaults);

struct InitialConfigOutcome {
  Status vars;                        // failed: retry the whole report after bootstrapRetryDelay
  std::optional<Error> name_error;    // the device-name PATCH failed: log only (§3.1 step 3)
};

// §3.1 steps 2-3 with the device key: POST /v7/device_config_variable per
// var, then PATCH /v7/device(<id>) {"device_name"} when a name is given.
// Step 1 (fetching the target) is the caller's, with poll_target_state.
[[nodiscard]] InitialConfigOutcome report_initial_config(HttpClient& api, const std::string& device_api_key,
                                                         std::int64_t device_id, const std::vector<ConfigVar>& vars,
                                                         const std::optional<std::string>& initial_device_name,
                                                         const std::atomic<bool>* cancel = nullptr);

}  // namespace engine::cloud

#include "engine/cloud/provision.hpp"

#include <fmt/format.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <range/v3/algorithm/all_of.hpp>

#include "codec.hpp"
#include "reconcile/json_text.hpp"

namespace engine::cloud {
namespace {

using Json = nlohmann::ordered_json;

bool truthy(const std::optional<std::string>& value) { return value && !value->empty(); }
bool truthy(const std::optional<std::int64_t>& value) { return value && *value != 0; }

// Failures that say nothing about the cloud's records: the request did not
// get a real answer.
bool transient(const Error& error) {
  switch (error.kind) {
    case ErrorKind::Dns:
    case ErrorKind::Connect:
    case ErrorKind::Tls:
    case ErrorKind::Timeout:
    case ErrorKind::Cancelled:
    case ErrorKind::FileSystem: return true;
    case ErrorKind::HttpStatus:
      return error.http_status >= 500;  // the cloud failed, it did not refuse
    case ErrorKind::BadResponse:
    case ErrorKind::Config: return false;
  }
  return true;
}

Error bad_response(const std::string& call, long status, std::string message) {
  return Error{ErrorKind::BadResponse, status, call, std::move(message), std::nullopt};
}

Error config_error(const std::string& call, std::string message) {
  return Error{ErrorKind::Config, 0, call, std::move(message), std::nullopt};
}

Result<Json> parse_json_body(const std::string& call, const HttpResponse& response) {
  auto parsed = reconcile::parse_json_text(response.body);  // nesting bounded before parsing
  if (!parsed.ok()) {
    return bad_response(call, response.status,
                        fmt::format("the answer is {}: {:.80}", parsed.error().message, response.body));
  }
  return Json(std::move(parsed).value());
}

}  // namespace

const char* to_string(ProvisionAction action) {
  switch (action) {
    case ProvisionAction::None: return "none";
    case ProvisionAction::Register: return "register";
    case ProvisionAction::KeyExchangeWithRegenerate: return "key exchange with regenerate";
    case ProvisionAction::KeyExchangeWithoutRegenerate: return "key exchange without regenerate";
  }
  return "unknown";
}

ProvisionAction decide_provision(const ConfigJson& config) {
  const bool registered = truthy(config.registered_at);
  const bool has_id = truthy(config.device_id);
  const bool has_provisioning_key = truthy(config.api_key);
  if (!registered) return ProvisionAction::Register;
  if (!has_id) return ProvisionAction::KeyExchangeWithRegenerate;
  if (has_provisioning_key) return ProvisionAction::KeyExchangeWithoutRegenerate;
  return ProvisionAction::None;
}

HexSource urandom_hex() {
  return [](std::size_t chars) -> Result<std::string> {
    std::ifstream random("/dev/urandom", std::ios::binary);
    std::string bytes((chars + 1) / 2, '\0');
    if (!random.read(bytes.data(), static_cast<std::streamsize>(bytes.size()))) {
      return Error{ErrorKind::FileSystem, 0, "generate identity", "cannot read /dev/urandom", std::nullopt};
    }
    std::string hex;
    hex.reserve(chars + 1);
    for (const char byte : bytes) hex += fmt::format("{:02x}", static_cast<unsigned char>(byte));
    hex.resize(chars);
    return hex;
  };
}

Result<bool> ensure_identity(ConfigJson& config, const HexSource& hex) {
  bool changed = false;
  if (!truthy(config.uuid)) {
    auto uuid = hex(32);
    if (!uuid) return uuid.error();
    config.uuid = std::move(uuid.value());
    changed = true;
  }
  if (config.managed() && !truthy(config.device_api_key)) {
    auto key = hex(32);
    if (!key) return key.error();
    config.device_api_key = std::move(key.value());
    changed = true;
  }
  return changed;
}

std::string register_body(const RegisterRequest& request) {
  // The key order of balena-register-device, as in capture 01.
  Json body = Json::object();
  body["application"] = request.application_id;
  body["uuid"] = request.uuid;
  body["device_type"] = request.device.device_type;
  body["api_key"] = request.device_api_key;
  if (request.device.supervisor_version) body["supervisor_version"] = *request.device.supervisor_version;
  if (request.device.os_version) body["os_version"] = *request.device.os_version;
  if (request.device.os_variant) body["os_variant"] = *request.device.os_variant;
  if (request.device.mac_address) body["mac_address"] = *request.device.mac_address;
  return body.dump(-1, ' ', false, Json::error_handler_t::replace);
}

Result<std::int64_t> register_device(HttpClient& api, const RegisterRequest& request,
                                     const std::atomic<bool>* cancel) {
  const std::string call = "register";
  HttpRequest http;
  http.method = Method::Post;
  http.path = "/device/register";
  http.bearer = request.provisioning_key;
  http.json_body = register_body(request);
  http.call = call;
  http.cancel = cancel;
  auto response = api.perform(http);
  if (!response) return response.error();
  // Only 201 means "created"; anything else that is not an error status
  // (a 200 from a proxy, a 304) did not register the device.
  if (response->status != 201) {
    return Error{ErrorKind::HttpStatus, response->status, call, "expected 201 Created", std::nullopt};
  }
  auto json = parse_json_body(call, response.value());
  if (!json) return json.error();
  const auto& body = json.value();
  if (!body.is_object() || !body.contains("id") || !body["id"].is_number_integer()) {
    return bad_response(call, response->status, "the answer has no numeric \"id\"");
  }
  return body["id"].get<std::int64_t>();
}

Result<std::int64_t> lookup_device_id(HttpClient& api, const std::string& uuid, const std::string& key,
                                      const std::atomic<bool>* cancel) {
  const std::string call = "device lookup";
  HttpRequest http;
  http.path = fmt::format("/v7/device?$select=id&$filter=uuid%20eq%20%27{}%27", detail::percent_encode(uuid));
  http.bearer = key;
  http.call = call;
  http.cancel = cancel;
  auto response = api.perform(http);
  if (!response) return response.error();
  auto json = parse_json_body(call, response.value());
  if (!json) return json.error();
  const auto& body = json.value();
  if (!body.is_object() || !body.contains("d") || !body["d"].is_array()) {
    return bad_response(call, response->status, "the answer has no \"d\" list");
  }
  if (body["d"].empty()) return bad_response(call, response->status, fmt::format("no device with uuid {}", uuid));
  const auto& first = body["d"][0];
  if (!first.is_object() || !first.contains("id") || !first["id"].is_number_integer()) {
    return bad_response(call, response->status, "the device entry has no numeric \"id\"");
  }
  return first["id"].get<std::int64_t>();
}

Status exchange_device_key(HttpClient& api, std::int64_t device_id, const std::string& provisioning_key,
                           const std::string& device_api_key, const std::atomic<bool>* cancel) {
  const std::string call = "device key exchange";
  HttpRequest http;
  http.method = Method::Post;
  http.path = fmt::format("/api-key/device/{}/device-key", device_id);
  http.bearer = provisioning_key;
  Json body = Json::object();
  body["apiKey"] = device_api_key;
  http.json_body = body.dump();
  http.call = call;
  http.cancel = cancel;
  auto response = api.perform(http);
  if (!response) return response.error();
  if (response->status != 200) {
    return Error{ErrorKind::HttpStatus, response->status, call, "expected 200", std::nullopt};
  }
  return {};
}

Result<std::int64_t> key_exchange(HttpClient& api, const ConfigJson& config, const std::atomic<bool>* cancel) {
  if (!truthy(config.uuid)) return config_error("key exchange", "config.json has no uuid");
  // Step 1: the device key may already work (it is the one we registered).
  if (truthy(config.device_api_key)) {
    auto id = lookup_device_id(api, *config.uuid, *config.device_api_key, cancel);
    if (id) return id;
    // Decision on §12.3: v19 falls through on any failure, so a network blip
    // here plus a refusal below regenerates a healthy device. Only a real
    // refusal (401, empty list) falls through; a transport failure is
    // returned as is and the attempt is retried later.
    if (transient(id.error())) return id;
  }
  if (!truthy(config.api_key)) {
    return config_error("key exchange", "the device key is not accepted and config.json has no apiKey");
  }
  if (!truthy(config.device_api_key)) return config_error("key exchange", "config.json has no deviceApiKey");
  // Steps 2-3. On open-balena-api both answer 401 to a provisioning key
  // (captures 06, 07): the fallback exists for balenaCloud.
  auto id = lookup_device_id(api, *config.uuid, *config.api_key, cancel);
  if (!id) return id;
  if (auto exchanged = exchange_device_key(api, id.value(), *config.api_key, *config.device_api_key, cancel);
      !exchanged) {
    return exchanged.error();
  }
  return id;
}

ProvisionOutcome provision(HttpClient& api, const std::filesystem::path& config_path, ConfigJson& config,
                           const DeviceInfo& device, std::int64_t now_ms, const HexSource& hex,
                           const std::atomic<bool>* cancel) {
  ProvisionOutcome outcome;
  outcome.action = decide_provision(config);
  outcome.retry_delay = config.bootstrap_delay();
  auto retry = [&](Error error) {
    outcome.state = ProvisionState::RetryLater;
    outcome.error = std::move(error);
    return outcome;
  };
  if (outcome.action == ProvisionAction::None) {
    outcome.state = ProvisionState::AlreadyProvisioned;
    outcome.device_id = config.device_id;
    outcome.retry_delay = std::chrono::milliseconds(0);
    return outcome;
  }
  if (!config.managed()) return retry(config_error("provision", "config.json has no apiEndpoint"));
  if (!truthy(config.uuid) || !truthy(config.device_api_key)) {
    return retry(config_error("provision", "config.json has no uuid or deviceApiKey (run ensure_identity first)"));
  }

  if (outcome.action == ProvisionAction::Register) {
    if (!truthy(config.api_key)) return retry(config_error("register", "config.json has no apiKey"));
    if (!truthy(config.application_id)) return retry(config_error("register", "config.json has no applicationId"));
  }
  bool regenerate = outcome.action == ProvisionAction::KeyExchangeWithRegenerate;
  std::optional<std::int64_t> registered_now;
  auto attempt = [&]() -> Result<std::int64_t> {
    if (outcome.action != ProvisionAction::Register) return key_exchange(api, config, cancel);
    const RegisterRequest request{*config.api_key, *config.application_id, *config.uuid, *config.device_api_key,
                                  device};
    auto registered = register_device(api, request, cancel);
    if (registered) {
      registered_now = now_ms;
      return registered;
    }
    if (registered.error().kind != ErrorKind::HttpStatus || registered.error().http_status != 409) return registered;
    regenerate = true;  // §2.2: a 409 goes to key exchange with regenerate
    return key_exchange(api, config, cancel);
  };
  auto device_id = attempt();

  if (!device_id) {
    // Only when the cloud refused the key exchange: a transport failure says
    // nothing about its records (§12.3, decided against v19's behaviour).
    if (regenerate && !transient(device_id.error())) {
      auto uuid = hex(32);
      if (!uuid) return retry(uuid.error());
      auto key = hex(32);
      if (!key) return retry(key.error());
      config.uuid = std::move(uuid.value());
      config.device_api_key = std::move(key.value());
      // The next attempt registers a new device: the old registration is not ours.
      config.registered_at.reset();
      config.device_id.reset();
      if (auto saved = save_config_json(config_path, config); !saved) return retry(saved.error());
      outcome.regenerated = true;
    }
    return retry(device_id.error());
  }

  config.registered_at = registered_now ? *registered_now : config.registered_at.value_or(now_ms);
  config.device_id = device_id.value();
  config.api_key.reset();
  if (auto saved = save_config_json(config_path, config); !saved) return retry(saved.error());
  outcome.state = ProvisionState::Provisioned;
  outcome.device_id = device_id.value();
  outcome.retry_delay = std::chrono::milliseconds(0);
  return outcome;
}

}  // namespace engine::cloud

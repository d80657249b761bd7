// §3.1 initial config report (declared in engine/cloud/provision.hpp).
#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <range/v3/range/conversion.hpp>
#include <range/v3/view/filter.hpp>
#include <range/v3/view/transform.hpp>

#include "engine/cloud/provision.hpp"

namespace engine::cloud {

std::optional<std::string> config_var(const std::map<std::string, std::string>& target_config,
                                      const std::string& name) {
  for (const auto& key : {fmt::format("BALENA_{}", name), fmt::format("RESIN_{}", name), name}) {
    if (const auto it = target_config.find(key); it != target_config.end()) return it->second;
  }
  return std::nullopt;
}

std::vector<ConfigVar> initial_config_vars(const std::map<std::string, std::string>& target_config,
                                           const std::map<std::string, std::string>& current,
                                           const std::map<std::string, std::string>& defaults) {
  const auto wanted = [&](const auto& entry) {
    const auto& [name, value] = entry;
    if (config_var(target_config, name)) return false;  // the cloud has a value already
    const auto fallback = defaults.find(name);
    return fallback == defaults.end() || fallback->second != value;
  };
  const auto to_var = [](const auto& entry) {
    const auto& [name, value] = entry;
    // The supervisor forces these two, whatever the device runs with.
    if (name == "SUPERVISOR_LOCAL_MODE") return ConfigVar{fmt::format("RESIN_{}", name), "false"};
    if (name == "SUPERVISOR_VPN_CONTROL") return ConfigVar{fmt::format("RESIN_{}", name), "true"};
    return ConfigVar{fmt::format("RESIN_{}", name), value};
  };
  // `current` is a std::map: the result comes out sorted by name.
  return current | ranges::views::filter(wanted) | ranges::views::transform(to_var) | ranges::to<std::vector>();
}

InitialConfigOutcome report_initial_config(HttpClient& api, const std::string& device_api_key,
                                           std::int64_t device_id, const std::vector<ConfigVar>& vars,
                                           const std::optional<std::string>& initial_device_name,
                                           const std::atomic<bool>* cancel) {
  InitialConfigOutcome outcome;
  for (const auto& var : vars) {
    HttpRequest request;
    request.method = Method::Post;
    request.path = "/v7/device_config_variable";
    request.bearer = device_api_key;
    nlohmann::ordered_json body = nlohmann::ordered_json::object();
    body["value"] = var.value;
    body["device"] = device_id;
    body["name"] = var.name;
    request.json_body = body.dump();
    request.call = fmt::format("initial config report {}", var.name);
    request.cancel = cancel;
    auto response = api.perform(request);
    if (!response) {
      outcome.vars = response.error();
      return outcome;
    }
  }
  if (initial_device_name) {
    HttpRequest request;
    request.method = Method::Patch;
    request.path = fmt::format("/v7/device({})", device_id);
    request.bearer = device_api_key;
    nlohmann::json body = nlohmann::json::object();
    body["device_name"] = *initial_device_name;
    request.json_body = body.dump();
    request.call = "initial device name";
    request.cancel = cancel;
    auto response = api.perform(request);
    if (!response) outcome.name_error = response.error();
  }
  return outcome;
}

}  // namespace engine::cloud

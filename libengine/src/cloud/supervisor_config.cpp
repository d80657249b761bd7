#include "engine/cloud/supervisor_config.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <nlohmann/json.hpp>

#include "codec.hpp"
#include "engine/cloud/provision.hpp"
#include "engine/cloud/target_poll.hpp"
#include "reconcile/json_text.hpp"

namespace engine::cloud {
namespace {

using nlohmann::json;

// The variables this supervisor obeys or keeps; any other is not stored.
constexpr std::array<const char*, 6> kKnown = {
    "SUPERVISOR_POLL_INTERVAL",       "SUPERVISOR_INSTANT_UPDATE_TRIGGER", "SUPERVISOR_LOCAL_MODE",
    "SUPERVISOR_PERSISTENT_LOGGING",  "SUPERVISOR_CONNECTIVITY_CHECK",     "SUPERVISOR_DELTA",
};

std::optional<bool> read_bool(const std::map<std::string, std::string>& values, const char* name) {
  auto text = config_var(values, name);
  if (!text) return std::nullopt;
  std::string lower = *text;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower == "true" || lower == "1" || lower == "on") return true;
  if (lower == "false" || lower == "0" || lower == "off") return false;
  return std::nullopt;
}

}  // namespace

std::map<std::string, std::string> supervisor_config_values(const std::map<std::string, std::string>& target_config) {
  std::map<std::string, std::string> out;
  for (const char* name : kKnown) {
    if (auto value = config_var(target_config, name)) out.emplace(name, *value);
  }
  return out;
}

std::map<std::string, std::string> config_without_prefixes(const std::map<std::string, std::string>& target_config) {
  std::map<std::string, std::string> out;
  // Three passes, strongest first; emplace never overwrites.
  for (const std::string_view prefix : {"BALENA_", "RESIN_"}) {
    for (const auto& [name, value] : target_config) {
      if (name.starts_with(prefix)) out.emplace(name.substr(prefix.size()), value);
    }
  }
  for (const auto& [name, value] : target_config) {
    if (!name.starts_with("BALENA_") && !name.starts_with("RESIN_")) out.emplace(name, value);
  }
  return out;
}

SupervisorSettings supervisor_settings(const std::map<std::string, std::string>& values,
                                       std::chrono::milliseconds default_poll_interval) {
  SupervisorSettings settings;
  settings.poll_interval = poll_interval_from_config(values, default_poll_interval);
  settings.instant_updates = read_bool(values, "SUPERVISOR_INSTANT_UPDATE_TRIGGER").value_or(true);
  settings.local_mode = read_bool(values, "SUPERVISOR_LOCAL_MODE").value_or(false);
  settings.persistent_logging = read_bool(values, "SUPERVISOR_PERSISTENT_LOGGING").value_or(false);
  settings.connectivity_check = read_bool(values, "SUPERVISOR_CONNECTIVITY_CHECK").value_or(true);
  settings.delta = read_bool(values, "SUPERVISOR_DELTA").value_or(false);
  return settings;
}

std::map<std::string, std::string> supervisor_config_defaults(std::chrono::milliseconds default_poll_interval) {
  return {{"SUPERVISOR_POLL_INTERVAL", fmt::to_string(default_poll_interval.count())},
          {"SUPERVISOR_INSTANT_UPDATE_TRIGGER", "true"},
          {"SUPERVISOR_LOCAL_MODE", "false"},
          {"SUPERVISOR_PERSISTENT_LOGGING", "false"},
          {"SUPERVISOR_CONNECTIVITY_CHECK", "true"},
          {"SUPERVISOR_DELTA", "false"}};
}

Result<Preload> parse_preload(std::string_view text, const std::string& device_uuid) {
  const std::string call = "read apps.json";
  auto parsed_text = reconcile::parse_json_text(text);  // nesting bounded before parsing
  if (!parsed_text.ok()) {
    return Error{ErrorKind::Config, 0, call, fmt::format("apps.json is {}", parsed_text.error().message), std::nullopt};
  }
  json body = std::move(parsed_text).value();
  if (!body.is_object()) return Error{ErrorKind::Config, 0, call, "apps.json is not a JSON object", std::nullopt};
  if (body.empty()) return Error{ErrorKind::Config, 0, call, "apps.json is empty (consumed)", std::nullopt};
  bool pin = false;
  if (auto it = body.find("pinDevice"); it != body.end()) {
    pin = it->is_boolean() && it->get<bool>();
    body.erase(it);
  }
  // A preload may leave the device name out; the v3 parser wants one.
  if (!body.contains("name")) body["name"] = "";
  auto parsed = reconcile::parse_target_state_v3(json{{device_uuid, std::move(body)}}, device_uuid);
  if (!parsed.ok()) return Error{ErrorKind::Config, 0, call, parsed.error().to_string(), std::nullopt};
  Preload preload{std::move(parsed).value(), std::nullopt};
  if (pin) {
    for (const auto& app : preload.target.target.apps) {
      if (!app.is_host && app.commit) {
        preload.pin = PinRequest{app.app_id, *app.commit};
        break;
      }
    }
  }
  return preload;
}

std::string pin_request_text(const PinRequest& pin) {
  nlohmann::ordered_json out = {{"app", pin.app_id}, {"commit", pin.commit}};
  return out.dump();
}

std::optional<PinRequest> parse_pin_request(std::string_view text) {
  const json body = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!body.is_object()) return std::nullopt;
  const auto app = body.find("app");
  const auto commit = body.find("commit");
  if (app == body.end() || !app->is_number_integer() || commit == body.end() || !commit->is_string()) {
    return std::nullopt;
  }
  return PinRequest{app->get<std::int64_t>(), commit->get<std::string>()};
}

Result<PinOutcome> pin_to_release(HttpClient& api, const std::string& device_api_key, std::int64_t device_id,
                                  const PinRequest& pin, const std::atomic<bool>* cancel) {
  HttpRequest lookup;
  lookup.path = fmt::format(
      "/v7/release?$filter={}&$select=id",
      detail::percent_encode(fmt::format("belongs_to__application eq {} and commit eq '{}' and status eq 'success'",
                                         pin.app_id, pin.commit)));
  lookup.bearer = device_api_key;
  lookup.call = "pin: find the preloaded release";
  lookup.cancel = cancel;
  auto found = api.perform(lookup);
  if (!found) return found.error();
  auto parsed = reconcile::parse_json_text(found->body);  // nesting bounded before parsing
  const json body = parsed.ok() ? std::move(parsed).value() : json();
  const json* rows = body.is_object() && body.contains("d") && body["d"].is_array() ? &body["d"] : nullptr;
  if (rows == nullptr) return Error{ErrorKind::BadResponse, found->status, lookup.call, "no \"d\" list", std::nullopt};
  if (rows->empty() || !(*rows)[0].contains("id") || !(*rows)[0]["id"].is_number_integer()) {
    return PinOutcome::NoSuchRelease;
  }
  HttpRequest patch;
  patch.method = Method::Patch;
  patch.path = fmt::format("/v7/device({})", device_id);
  patch.bearer = device_api_key;
  patch.json_body = json{{"is_pinned_on__release", (*rows)[0]["id"].get<std::int64_t>()}}.dump();
  patch.call = "pin: pin the device";
  patch.cancel = cancel;
  auto pinned = api.perform(patch);
  if (!pinned) return pinned.error();
  return PinOutcome::Pinned;
}

}  // namespace engine::cloud

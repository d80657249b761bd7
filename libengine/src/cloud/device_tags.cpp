#include "engine/cloud/device_tags.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "reconcile/json_text.hpp"

namespace engine::cloud {
namespace {

Error bad_response(const std::string& call, long status, std::string message) {
  return Error{ErrorKind::BadResponse, status, call, std::move(message), std::nullopt};
}

}  // namespace

Result<std::vector<DeviceTag>> read_device_tags(HttpClient& api, const std::string& device_api_key,
                                                std::int64_t device_id, const std::atomic<bool>* cancel) {
  const std::string call = "device tags read";
  HttpRequest http;
  http.path = fmt::format("/v7/device_tag?$select=id,tag_key,value&$filter=device%20eq%20{}", device_id);
  http.bearer = device_api_key;
  http.call = call;
  http.cancel = cancel;
  auto response = api.perform(http);
  if (!response) return response.error();
  auto parsed = reconcile::parse_json_text(response->body);  // nesting bounded before parsing
  if (!parsed.ok()) {
    return bad_response(call, response->status, fmt::format("the answer is {}", parsed.error().message));
  }
  const nlohmann::json& body = parsed.value();
  if (!body.is_object() || !body.contains("d") || !body["d"].is_array()) {
    return bad_response(call, response->status, "the answer has no \"d\" list");
  }
  std::vector<DeviceTag> tags;
  for (const auto& entry : body["d"]) {
    if (!entry.is_object() || !entry.contains("id") || !entry["id"].is_number_integer() ||
        !entry.contains("tag_key") || !entry["tag_key"].is_string() || !entry.contains("value") ||
        !entry["value"].is_string()) {
      return bad_response(call, response->status,
                          fmt::format("a tag is not {{\"id\": number, \"tag_key\": string, \"value\": string}}: {:.120}",
                                      entry.dump()));
    }
    tags.push_back({entry["id"].get<std::int64_t>(), entry["tag_key"].get<std::string>(),
                    entry["value"].get<std::string>()});
  }
  return tags;
}

Status send_device_tags(HttpClient& api, const std::string& device_api_key, const std::string& uuid,
                        const TagValues& tags, const std::atomic<bool>* cancel) {
  const std::string call = "device tags write";
  nlohmann::json values = nlohmann::json::object();
  for (const auto& [key, value] : tags) values[key] = value;
  HttpRequest http;
  http.method = Method::Patch;
  http.path = "/device/v3/tags";
  http.bearer = device_api_key;
  nlohmann::json body = nlohmann::json::object();
  body[uuid] = values;
  http.json_body = body.dump();
  http.call = call;
  http.cancel = cancel;
  auto response = api.perform(http);
  if (!response) return response.error();
  if (response->status < 200 || response->status >= 300) {
    return Error{ErrorKind::BadResponse, response->status, call, "expected a 2xx answer", std::nullopt};
  }
  return {};
}

TagValues tags_to_send(const TagValues& target, const TagValues& reported) {
  TagValues changed;
  for (const auto& [key, value] : target) {
    const auto was = reported.find(key);
    if (was == reported.end() || was->second != value) changed.emplace(key, value);
  }
  return changed;
}

}  // namespace engine::cloud

#include "parse.hpp"

#include <nlohmann/json.hpp>

namespace engine::docker::detail {
namespace {

const nlohmann::json& field(const nlohmann::json& json, const char* key) {
  static const nlohmann::json null_json;
  if (!json.is_object()) return null_json;
  const auto it = json.find(key);
  return it == json.end() ? null_json : *it;
}

std::string text(const nlohmann::json& json, const char* key) {
  const auto& value = field(json, key);
  return value.is_string() ? value.get<std::string>() : std::string();
}

// A fraction is truncated; one outside the int64 range is 0, as converting
// it would be undefined behaviour.
std::int64_t integer(const nlohmann::json& json, const char* key) {
  const auto& value = field(json, key);
  if (value.is_number_integer()) return value.get<std::int64_t>();  // unsigned above 2^63 wraps, as before
  if (!value.is_number_float()) return 0;
  const double number = value.get<double>();
  constexpr double kLimit = 9.2e18;  // below 2^63, exactly representable as a double
  return number > -kLimit && number < kLimit ? static_cast<std::int64_t>(number) : 0;
}

bool boolean(const nlohmann::json& json, const char* key) {
  const auto& value = field(json, key);
  return value.is_boolean() && value.get<bool>();
}

Labels labels(const nlohmann::json& json) {
  Labels out;
  if (!json.is_object()) return out;
  for (const auto& [key, value] : json.items()) {
    if (value.is_string()) out.emplace(key, value.get<std::string>());
  }
  return out;
}

std::vector<std::string> strings(const nlohmann::json& json) {
  std::vector<std::string> out;
  if (!json.is_array()) return out;
  for (const auto& value : json) {
    if (value.is_string()) out.push_back(value.get<std::string>());
  }
  return out;
}

std::string without_slash(std::string name) {
  if (!name.empty() && name.front() == '/') name.erase(0, 1);
  return name;
}

}  // namespace

std::string dump(const nlohmann::json& json) {
  return json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

ContainerSummary parse_container_summary(const nlohmann::json& json) {
  ContainerSummary out;
  out.id = text(json, "Id");
  const auto names = strings(field(json, "Names"));
  if (!names.empty()) out.name = without_slash(names.front());
  out.image = text(json, "Image");
  out.image_id = text(json, "ImageID");
  out.state = text(json, "State");
  out.labels = labels(field(json, "Labels"));
  out.created = integer(json, "Created");
  out.raw = dump(json);
  return out;
}

ContainerInfo parse_container_info(const nlohmann::json& json) {
  ContainerInfo out;
  out.id = text(json, "Id");
  out.name = without_slash(text(json, "Name"));
  out.image_id = text(json, "Image");
  const auto& state = field(json, "State");
  out.status = text(state, "Status");
  out.running = boolean(state, "Running");
  out.exit_code = static_cast<int>(integer(state, "ExitCode"));
  out.started_at = text(state, "StartedAt");
  out.finished_at = text(state, "FinishedAt");
  out.labels = labels(field(field(json, "Config"), "Labels"));
  out.restart_policy = text(field(field(json, "HostConfig"), "RestartPolicy"), "Name");
  out.raw = dump(json);
  return out;
}

ImageSummary parse_image_summary(const nlohmann::json& json) {
  ImageSummary out;
  out.id = text(json, "Id");
  out.repo_tags = strings(field(json, "RepoTags"));
  out.repo_digests = strings(field(json, "RepoDigests"));
  out.labels = labels(field(json, "Labels"));
  out.size = integer(json, "Size");
  out.raw = dump(json);
  return out;
}

ImageInfo parse_image_info(const nlohmann::json& json) {
  ImageInfo out;
  out.id = text(json, "Id");
  out.repo_tags = strings(field(json, "RepoTags"));
  out.repo_digests = strings(field(json, "RepoDigests"));
  out.labels = labels(field(field(json, "Config"), "Labels"));
  out.size = integer(json, "Size");
  out.raw = dump(json);
  return out;
}

NetworkInfo parse_network(const nlohmann::json& json) {
  NetworkInfo out;
  out.id = text(json, "Id");
  out.name = text(json, "Name");
  out.driver = text(json, "Driver");
  out.labels = labels(field(json, "Labels"));
  out.raw = dump(json);
  return out;
}

VolumeInfo parse_volume(const nlohmann::json& json) {
  VolumeInfo out;
  out.name = text(json, "Name");
  out.driver = text(json, "Driver");
  out.mountpoint = text(json, "Mountpoint");
  out.labels = labels(field(json, "Labels"));
  out.raw = dump(json);
  return out;
}

Event parse_event(const nlohmann::json& json) {
  Event out;
  out.type = text(json, "Type");
  out.action = text(json, "Action");
  const auto& actor = field(json, "Actor");
  out.actor_id = text(actor, "ID");
  out.attributes = labels(field(actor, "Attributes"));
  out.time_nano = integer(json, "timeNano");
  out.raw = dump(json);
  return out;
}

std::string read_pull_message(const nlohmann::json& json, PullProgress& out) {
  if (!json.is_object()) return "";
  if (const auto error = json.find("errorDetail"); error != json.end() && error->is_object()) {
    const auto message = error->find("message");
    if (message != error->end() && message->is_string()) return message->get<std::string>();
  }
  if (const auto error = json.find("error"); error != json.end() && error->is_string()) {
    return error->get<std::string>();
  }
  // Read with the lenient helpers: json.value() throws when "status" is
  // not a string, and a throw here unwinds through curl's write callback
  // (found by engine_json_fuzzer, kept in fuzz/corpus/engine_json/).
  out.status = text(json, "status");
  out.layer = text(json, "id");
  const auto& detail = field(json, "progressDetail");
  out.current = integer(detail, "current");
  out.total = integer(detail, "total");
  out.raw = dump(json);
  return "";
}

}  // namespace engine::docker::detail

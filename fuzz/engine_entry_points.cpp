#include "engine_entry_points.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "config.hpp"  // daemon/src
#include "engine/cloud/config_json.hpp"
#include "engine/cloud/provision.hpp"
#include "parse.hpp"   // libengine/src/docker
#include "stream.hpp"  // libengine/src/docker
#include "reconcile/json.hpp"
#include "reconcile/json_text.hpp"

namespace reconcile::fuzz {
namespace {

template <class... Args>
[[noreturn]] void fail(fmt::format_string<Args...> format, Args&&... args) {
  fmt::print(stderr, "{}\n", fmt::format(format, std::forward<Args>(args)...));
  std::abort();
}

// Arrays and objects open at the deepest point of a parsed document.
std::size_t depth_of(const nlohmann::json& json) {
  if (!json.is_structured()) return 0;
  std::size_t deepest = 0;
  for (const auto& child : json) deepest = std::max(deepest, depth_of(child));
  return deepest + 1;
}

// A refused target's pointer must lead to something in the document, so that
// the person reading the error finds the value it names. An empty pointer is
// the whole document.
void check_refusal(const char* reader, const nlohmann::json& json, const ParseError& error) {
  if (error.message.empty()) fail("{}: a refusal without a message", reader);
  if (error.pointer.empty()) return;
  const nlohmann::json::json_pointer pointer = [&] {
    try {
      return nlohmann::json::json_pointer(error.pointer);
    } catch (const nlohmann::json::exception& e) {
      fail("{}: the error's pointer {} is not a JSON pointer ({})", reader, error.pointer, e.what());
    }
  }();
  if (!json.contains(pointer)) fail("{}: the error points at {}, which is not in the document", reader, error.pointer);
}

}  // namespace

void config_json(std::string_view input) {
  auto parsed = engine::cloud::parse_config_json(input);
  if (!parsed) {
    if (parsed.error().message.empty()) fail("config.json refused without a message");
    return;
  }
  engine::cloud::ConfigJson config = parsed.value();
  // What provisioning writes back (cloud-protocol §2.4, §2.5).
  config.device_id = 4242;
  config.registered_at = 1700000000000;
  config.api_key.reset();
  const auto text = engine::cloud::render_config_json(config);
  if (!text) fail("a parsed config.json does not render: {}", text.error().describe());
  const auto again = engine::cloud::parse_config_json(text.value());
  if (!again) fail("a rendered config.json does not parse: {}\n{}", again.error().describe(), text.value());
  engine::cloud::ConfigJson expected = config;
  expected.original = again.value().original;
  const auto& got = again.value();
  if (got.device_id != expected.device_id || got.registered_at != expected.registered_at || got.api_key ||
      got.uuid != expected.uuid || got.device_api_key != expected.device_api_key ||
      got.application_id != expected.application_id || got.api_endpoint != expected.api_endpoint ||
      got.listen_port != expected.listen_port || got.persistent_logging != expected.persistent_logging ||
      got.app_update_poll_interval != expected.app_update_poll_interval ||
      got.balena_root_ca != expected.balena_root_ca || got.hostname != expected.hostname) {
    fail("written back, config.json changed more than provisioning changed:\nbefore {}\nafter  {}", input,
         text.value());
  }
  // The decisions taken from it are total.
  (void)engine::cloud::to_string(engine::cloud::decide_provision(got));
  if (got.balena_root_ca) (void)engine::cloud::decode_root_ca(*got.balena_root_ca);
}

void daemon_config(std::string_view input) {
  const auto result = supervisor::parse_config(std::string(input), "fuzz.json");
  if (!result.config) {
    if (result.error.rfind("fuzz.json: ", 0) != 0 && result.error.rfind("SUPERVISOR_LOG_LEVEL", 0) != 0) {
      fail("a refused configuration does not name its file: {}", result.error);
    }
    return;
  }
  const supervisor::Config& config = *result.config;
  if (config.listen_port == 0) fail("listen port 0 accepted");
  if (config.data_dir.empty()) fail("an empty data directory accepted");
  if (config.backoff_max < config.backoff_initial) fail("backoffMax below backoffInitial accepted");
  if (config.poll_interval.count() < 10'000) fail("a poll interval under 10 s accepted");
  if (config.docker_host.empty()) fail("no engine address");
}

void engine_json(std::string_view input) {
  if (input.empty()) return;
  // The first byte chooses the chunk size, so the same lines arrive cut in
  // different places.
  const std::size_t chunk = static_cast<unsigned char>(input.front()) % 17 + 1;
  input.remove_prefix(1);

  std::vector<std::string> whole;
  engine::docker::detail::LineSplitter once;
  once.feed(input, [&](std::string_view line) { whole.emplace_back(line); });
  if (!once.rest().empty()) whole.push_back(once.rest());
  std::vector<std::string> pieces;
  engine::docker::detail::LineSplitter chunked;
  for (std::size_t at = 0; at < input.size(); at += chunk) {
    chunked.feed(input.substr(at, chunk), [&](std::string_view line) { pieces.emplace_back(line); });
  }
  if (!chunked.rest().empty()) pieces.push_back(chunked.rest());
  if (whole != pieces) fail("the same stream cut in chunks of {} gave other lines", chunk);

  namespace detail = engine::docker::detail;
  detail::PullTracker tracker;
  for (const std::string& line : whole) {
    const auto json = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (json.is_discarded()) continue;
    const auto keeps = [&](const std::string& raw, const char* what) {
      if (nlohmann::json::parse(raw, nullptr, false) != json) fail("{}: raw is not the document it read", what);
    };
    keeps(detail::parse_container_summary(json).raw, "container summary");
    keeps(detail::parse_container_info(json).raw, "container inspect");
    keeps(detail::parse_image_summary(json).raw, "image summary");
    keeps(detail::parse_image_info(json).raw, "image inspect");
    keeps(detail::parse_network(json).raw, "network");
    keeps(detail::parse_volume(json).raw, "volume");
    keeps(detail::parse_event(json).raw, "event");
    engine::docker::PullProgress progress;
    if (!detail::read_pull_message(json, progress).empty()) continue;
    tracker.update(progress);
    if (progress.percent < -1 || progress.percent > 100) fail("pull progress {}%", progress.percent);
  }
}

void json_intake(std::string_view input) {
  const auto parsed = parse_json_text(input);
  const auto direct = nlohmann::json::parse(input, nullptr, /*allow_exceptions=*/false);
  if (!parsed.ok()) {
    const bool too_deep = parsed.error().message.rfind("nested deeper", 0) == 0;
    if (!too_deep && !direct.is_discarded()) fail("valid JSON refused: {}", parsed.error().message);
    // nlohmann's lexer ends the input at a NUL byte, the depth scan reads
    // on: a shallow document followed by NUL and brackets is refused (found
    // by json_intake_fuzzer; safe, and kept in the corpus).
    if (too_deep && !direct.is_discarded() && depth_of(direct) <= kMaxJsonDepth &&
        input.find('\0') == std::string_view::npos) {
      fail("refused as too deep, but it nests {} levels", depth_of(direct));
    }
    return;
  }
  const nlohmann::json& json = parsed.value();
  if (json != direct) fail("parse_json_text read another document than nlohmann");
  if (depth_of(json) > kMaxJsonDepth) fail("accepted a document {} levels deep", depth_of(json));

  const std::string uuid = json.is_object() && !json.empty() ? json.begin().key() : "uuid";
  const auto cloud = parse_target_state_v3(json, uuid);
  if (!cloud.ok()) check_refusal("cloud v3 target", json, cloud.error());
  const auto local = parse_local_target_state(json);
  if (!local.ok()) check_refusal("local target", json, local.error());
}

}  // namespace reconcile::fuzz

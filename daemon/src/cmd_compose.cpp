// `supervisor compose`: answers one compose conversion request
// (shared/conformance/compose/FORMAT.md, docs/compose.md) with the
// libreconcile compose module, for conformance tools and for people.
//   {"convert": Side}                               -> {"result": output} | {"error"}
//   {"compare": {"current", "target", "containerIds"}} -> {"result": bool} | {"error"}
// Any printed response exits 0; unreadable stdin exits 2.
#include <fmt/format.h>

#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "commands.hpp"
#include "reconcile/compose_json.hpp"

namespace supervisor {
namespace {

using nlohmann::json;
namespace compose = reconcile::compose;

constexpr const char* kComposeUsage =
    "usage: supervisor compose < REQUEST\n"
    "  Reads one request from stdin and prints one response:\n"
    "  {\"convert\": SIDE} -> {\"result\": ...}; {\"compare\": {\"current\": SIDE, \"target\": SIDE,\n"
    "  \"containerIds\": {...}}} -> {\"result\": true|false}; or {\"error\": \"...\"}.\n"
    "  SIDE is one of {\"service\", \"options\"}, {\"container\"}, {\"network\"},\n"
    "  {\"engineNetwork\"}, {\"volume\"}, {\"engineVolume\"} (see docs/compose.md).\n";

// A failed step: the message for the {"error"} response.
struct Failure {
  std::string message;
};

constexpr const char* kSideKeys[] = {"service", "container", "network", "engineNetwork", "volume", "engineVolume"};

std::string side_key(const json& side, const std::string& where) {
  if (!side.is_object()) throw Failure{fmt::format("{} must be an object", where)};
  std::string found;
  for (const char* key : kSideKeys) {
    if (!side.contains(key)) continue;
    if (!found.empty()) throw Failure{fmt::format("{} names both {} and {}", where, found, key)};
    found = key;
  }
  if (found.empty()) {
    throw Failure{
        fmt::format("{} must name one of service, container, network, engineNetwork, volume, engineVolume", where)};
  }
  return found;
}

std::string family(const std::string& key) {
  if (key == "service" || key == "container") return "service";
  if (key == "network" || key == "engineNetwork") return "network";
  return "volume";
}

json unwrap(reconcile::Parsed<json> parsed, const std::string& where) {
  if (!parsed.ok()) throw Failure{fmt::format("{}: {}", where, parsed.error().to_string())};
  return std::move(parsed).value();
}

compose::ServiceOptions options_of(const json& side, const std::string& where) {
  auto parsed = compose::parse_service_options(side.contains("options") ? side["options"] : json::object());
  if (!parsed.ok()) throw Failure{fmt::format("{} options: {}", where, parsed.error().to_string())};
  return std::move(parsed).value();
}

json convert(const json& side) {
  const std::string key = side_key(side, "convert");
  const json& value = side[key];
  const std::string where = fmt::format("convert {}", key);
  if (key == "service") return unwrap(compose::service_to_container_create(value, options_of(side, where)), where);
  if (key == "container") return unwrap(compose::service_from_container(value), where);
  if (key == "network") return unwrap(compose::network_create_body(value), where);
  if (key == "engineNetwork") return unwrap(compose::network_from_engine(value), where);
  if (key == "volume") return unwrap(compose::volume_create_body(value), where);
  return unwrap(compose::volume_from_engine(value), where);
}

// A side in the normalized form its family compares.
json normalized(const json& side, const std::string& where) {
  const std::string key = side_key(side, where);
  const json& value = side[key];
  const std::string here = fmt::format("{} {}", where, key);
  if (key == "service") return unwrap(compose::normalize_service(value, options_of(side, here)), here);
  if (key == "container") return unwrap(compose::service_from_container(value), here);
  if (key == "network") return unwrap(compose::normalize_network(value), here);
  if (key == "engineNetwork") return unwrap(compose::network_from_engine(value), here);
  if (key == "volume") return unwrap(compose::normalize_volume(value), here);
  return unwrap(compose::volume_from_engine(value), here);
}

json compare(const json& request) {
  if (!request.is_object()) throw Failure{"compare must be an object"};
  if (!request.contains("current") || !request.contains("target")) {
    throw Failure{"compare needs a current and a target"};
  }
  const std::string current_key = side_key(request["current"], "current");
  const std::string target_key = side_key(request["target"], "target");
  if (family(current_key) != family(target_key)) {
    throw Failure{fmt::format("current ({}) and target ({}) are different kinds of object", current_key, target_key)};
  }
  std::map<std::string, std::string> ids;
  if (request.contains("containerIds") && !request["containerIds"].is_null()) {
    const json& given = request["containerIds"];
    if (!given.is_object()) throw Failure{"containerIds must be an object of service name to container id"};
    for (const auto& [name, id] : given.items()) {
      if (!id.is_string()) throw Failure{fmt::format("containerIds/{} must be a string", name)};
      ids[name] = id.get<std::string>();
    }
  }
  const json current = normalized(request["current"], "current");
  const json target = normalized(request["target"], "target");
  const std::string kind = family(current_key);
  if (kind == "service") return compose::same_service_config(current, target, ids);
  if (kind == "network") return compose::same_network_config(current, target);
  return compose::same_volume_config(current, target);
}

json answer(const std::string& text) {
  const json request = json::parse(text, nullptr, false);
  if (request.is_discarded()) throw Failure{"the request is not JSON"};
  if (!request.is_object()) throw Failure{"the request must be an object with \"convert\" or \"compare\""};
  const bool has_convert = request.contains("convert");
  const bool has_compare = request.contains("compare");
  if (has_convert == has_compare) throw Failure{"the request must hold exactly one of \"convert\" and \"compare\""};
  return has_convert ? convert(request["convert"]) : compare(request["compare"]);
}

}  // namespace

int cmd_compose(std::span<const std::string_view> args) {
  for (const auto arg : args) {
    if (arg == "-h" || arg == "--help") {
      std::fputs(kComposeUsage, stdout);
      return 0;
    }
    fmt::print(stderr, "supervisor compose: unexpected argument '{}'\n{}", arg, kComposeUsage);
    return 2;
  }
  std::string text;
  char buffer[65536];
  std::size_t got = 0;
  while ((got = std::fread(buffer, 1, sizeof buffer, stdin)) > 0) text.append(buffer, got);
  if (std::ferror(stdin) != 0) {
    std::fputs("supervisor compose: cannot read the request from stdin\n", stderr);
    return 2;
  }
  json response;
  try {
    response = {{"result", answer(text)}};
  } catch (const Failure& failure) {
    response = {{"error", failure.message}};
  } catch (const json::exception& error) {
    response = {{"error", fmt::format("malformed request: {}", error.what())}};
  }
  fmt::print("{}\n", response.dump());
  return 0;
}

}  // namespace supervisor

// The state report's diff, merge and acceptance rules (engine/cloud/json.hpp).
#include <fmt/format.h>

#include <array>
#include <cmath>
#include <range/v3/algorithm/all_of.hpp>
#include <range/v3/algorithm/any_of.hpp>
#include <string_view>

#include "engine/cloud/json.hpp"
#include "reconcile/json_text.hpp"

namespace engine::cloud {
namespace {

using nlohmann::json;

// Metrics that only count as changed across a bucket (§5.2).
std::optional<double> bucket_size(std::string_view field) {
  if (field == "cpu_usage") return 20.0;
  if (field == "cpu_temp") return 5.0;
  if (field == "memory_usage") return 10.0;
  return std::nullopt;
}

bool is_metric(std::string_view field) {
  constexpr std::array<std::string_view, 8> metrics{"cpu_usage",     "memory_usage",  "memory_total",
                                                    "storage_usage", "storage_total", "storage_block_device",
                                                    "cpu_temp",      "cpu_id"};
  return ranges::any_of(metrics, [&](std::string_view metric) { return metric == field; });
}

bool unchanged(std::string_view field, const json& last, const json& now) {
  if (last == now) return true;
  if (const auto bucket = bucket_size(field); bucket && last.is_number() && now.is_number()) {
    return std::floor(last.get<double>() / *bucket) == std::floor(now.get<double>() / *bucket);
  }
  return false;
}

const json& empty_object() {
  static const json empty = json::object();
  return empty;
}

// The device object of `report` for `uuid`, or {} when absent or not an object.
const json& device_of(const json& report, const std::string& uuid) {
  if (!report.is_object()) return empty_object();
  const auto it = report.find(uuid);
  return it != report.end() && it->is_object() ? *it : empty_object();
}

}  // namespace

json prune_empty(const json& value) {
  if (!value.is_object()) return value;
  json out = json::object();
  for (const auto& [key, child] : value.items()) {
    json pruned = prune_empty(child);
    if (pruned.is_object() && pruned.empty()) continue;
    out[key] = std::move(pruned);
  }
  return out;
}

json report_diff(const json& last_accepted, const json& current) {
  // Compared after pruning, so that what was accepted (pruned when sent)
  // equals the current state it came from.
  const json now = prune_empty(current);
  const json last = prune_empty(last_accepted);
  json diff = json::object();
  if (!now.is_object()) return diff;
  for (const auto& [uuid, device] : now.items()) {
    if (!device.is_object()) continue;
    const json& before = device_of(last, uuid);
    json changed = json::object();
    for (const auto& [field, value] : device.items()) {
      const auto it = before.find(field);
      if (it != before.end() && unchanged(field, *it, value)) continue;
      changed[field] = value;
    }
    if (!changed.empty()) diff[uuid] = std::move(changed);
  }
  return diff;
}

bool is_metrics_only(const json& diff) {
  if (!diff.is_object() || diff.empty()) return false;
  return ranges::all_of(diff.items(), [](const auto& device) {
    return device.value().is_object() &&
           ranges::all_of(device.value().items(), [](const auto& field) { return is_metric(field.key()); });
  });
}

json merge_failed_report(const json& failed, const json& current, const json& diff) {
  json merged = diff.is_object() ? diff : json::object();
  const json now = prune_empty(current);
  if (!failed.is_object()) return merged;
  for (const auto& [uuid, device] : failed.items()) {
    if (!device.is_object()) continue;
    const json& current_device = device_of(now, uuid);
    for (const auto& [field, ignored] : device.items()) {
      const auto it = current_device.find(field);
      if (it == current_device.end()) continue;  // gone: nothing to send, no null
      json& target = merged[uuid];
      if (!target.contains(field)) target[field] = *it;
    }
  }
  return prune_empty(merged);
}

json apply_accepted_report(const json& last_accepted, const json& sent) {
  json accepted = last_accepted.is_object() ? last_accepted : json::object();
  if (!sent.is_object()) return accepted;
  for (const auto& [uuid, device] : sent.items()) {
    if (!device.is_object()) continue;
    json& target = accepted[uuid];
    if (!target.is_object()) target = json::object();
    for (const auto& [field, value] : device.items()) target[field] = value;
  }
  return accepted;
}

Result<reconcile::CloudTargetState> parse_target(const NewTarget& target, const std::string& device_uuid) {
  const std::string call = "parse target state";
  // Nesting bounded before parsing (reconcile/json_text.hpp).
  auto body = reconcile::parse_json_text(target.body);
  if (!body.ok()) {
    return Error{ErrorKind::BadResponse, 200, call, fmt::format("the target state is {}", body.error().message),
                 std::nullopt};
  }
  auto parsed = reconcile::parse_target_state_v3(body.value(), device_uuid);
  if (!parsed.ok()) {
    return Error{ErrorKind::BadResponse, 200, call, parsed.error().to_string(), std::nullopt};
  }
  return std::move(parsed).value();
}

}  // namespace engine::cloud

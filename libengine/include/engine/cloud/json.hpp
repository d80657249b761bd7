// The cloud adapter's JSON-facing functions: the only public header of
// engine/cloud that includes nlohmann/json.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "engine/cloud/error.hpp"
#include "engine/cloud/target_poll.hpp"
#include "reconcile/json.hpp"

namespace engine::cloud {

// ---- state report diff (§5.4) ------------------------------------------------
// Reports are in the PATCH body's form: {"<uuid>": {<DeviceReport fields>}}.

// The minimal report to send: per device, each field whose value differs
// from the last accepted one (compared whole, so a change anywhere in
// `apps` sends the complete `apps`); cpu_usage, cpu_temp and memory_usage
// count as changed only when they cross a bucket (floor(v/20), /5, /10);
// fields that disappeared are not sent; empty objects are pruned
// recursively. An empty object means nothing to send.
[[nodiscard]] nlohmann::json report_diff(const nlohmann::json& last_accepted, const nlohmann::json& current);

// Removes empty objects, recursively (an emptied parent goes too).
[[nodiscard]] nlohmann::json prune_empty(const nlohmann::json& value);

// True when every field of a non-empty diff is a metric (cpu_*, memory_*,
// storage_*); is_undervolted is not a metric.
[[nodiscard]] bool is_metrics_only(const nlohmann::json& diff);

// The merge-on-failure rule. A report that failed may or may not have
// reached the cloud (a timeout after the server stored it), so the next
// report must carry every field the failed one carried, with its *current*
// value: diff against the last accepted report alone would drop a field
// that went back to its accepted value while the cloud may hold the failed
// one. Fields of `failed` missing from `current` are not sent (no nulls).
[[nodiscard]] nlohmann::json merge_failed_report(const nlohmann::json& failed, const nlohmann::json& current,
                                                 const nlohmann::json& diff);

// What the cloud holds after `sent` was accepted: last_accepted with the
// sent fields replaced (per device, field by field).
[[nodiscard]] nlohmann::json apply_accepted_report(const nlohmann::json& last_accepted,
                                                   const nlohmann::json& sent);

// ---- target state ------------------------------------------------------------

// A polled body parsed for this device with reconcile::parse_target_state_v3;
// BadResponse naming the JSON pointer when it does not parse or validate.
[[nodiscard]] Result<reconcile::CloudTargetState> parse_target(const NewTarget& target,
                                                               const std::string& device_uuid);

}  // namespace engine::cloud

// Current-state report (cloud-protocol §5): the PATCH call and the pure
// pacing rules. The report's content (the status projection) is built
// elsewhere; the "only what changed" diff and the merge of a failed report
// into the next are in engine/cloud/json.hpp because they work on JSON.
//
// The cycle a caller runs (at most one report in flight):
//   diff = report_diff(last_accepted, current)        // json.hpp
//   if a report failed: diff = merge_failed_report(failed, current, diff)
//   if report_due(diff...) and report_throttle_wait(...) == 0: send_state_report
//   success: last_accepted = apply_accepted_report(last_accepted, diff), retries = 0
//   failure: failed = diff, wait report_retry_delay(retries++, ...)
#pragma once

#include <atomic>
#include <chrono>
#include <optional>
#include <string>

#include "engine/cloud/error.hpp"
#include "engine/cloud/http.hpp"

namespace engine::cloud {

// At most one report per 10 s (§5.4).
inline constexpr std::chrono::milliseconds kReportMinInterval{10000};
// A diff of metrics only waits until 5 min after the last success (§5.4).
inline constexpr std::chrono::milliseconds kMetricsMinInterval{300000};

// §0.3: min(2^n x 15 s, poll interval), n = retries so far in this report
// cycle. A Retry-After from the failing answer wins. Decision on §12.1: it
// is read as seconds, as HTTP defines it, not as v19's milliseconds (which
// would retry a "60" after 60 ms and hammer a server asking for a pause).
[[nodiscard]] std::chrono::milliseconds report_retry_delay(int retries_so_far,
                                                           std::chrono::milliseconds poll_interval,
                                                           std::optional<long> retry_after);

// How long to wait before a report may start, given the time since the
// last one started (nullopt: none yet). Zero when it may go now.
[[nodiscard]] std::chrono::milliseconds report_throttle_wait(
    std::optional<std::chrono::milliseconds> since_last_report);

// Whether a diff is worth sending: not empty, and not metrics-only within
// 5 min of the last successful report (nullopt: none yet).
// `metrics_only` comes from is_metrics_only (json.hpp).
[[nodiscard]] bool report_due(bool diff_empty, bool metrics_only,
                              std::optional<std::chrono::milliseconds> since_last_success);

// PATCH /device/v3/state with the device key; `body` is the JSON text
// {"<uuid>": {...}}. Success is any 2xx. Gzip is accepted by
// open-balena-api and saves most of an `apps` report.
[[nodiscard]] Status send_state_report(HttpClient& api, const std::string& device_api_key, std::string body,
                                       BodyEncoding encoding = BodyEncoding::Identity,
                                       const std::atomic<bool>* cancel = nullptr);

}  // namespace engine::cloud

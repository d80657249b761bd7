// Target-state poll (cloud-protocol §4): GET /device/v3/<uuid>/state with
// the cached ETag, and the pure scheduling of the next poll. The body is
// handed back as text; parse it with reconcile::parse_target_state_v3 (or
// parse_target in engine/cloud/json.hpp).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <variant>

#include "engine/cloud/error.hpp"
#include "engine/cloud/http.hpp"

namespace engine::cloud {

// 304 with a cached ETag: the cached target is still current.
struct NotModified {
  std::string etag;  // the one sent
};

// 200: a new target. The ETag is stored verbatim (a weak "W/..." one from
// open-balena-api) and sent back as If-None-Match; empty when the answer
// had none (the next poll then sends no If-None-Match).
struct NewTarget {
  std::string etag;
  std::string body;
};

using PollResult = std::variant<NotModified, NewTarget>;

struct PollRequest {
  std::string uuid;
  std::string device_api_key;
  std::optional<std::string> etag;  // cached from the last 200, in memory only
};

// One poll. Errors: transport kinds; HttpStatus for any status >= 400 and
// for 304 when no ETag was sent (a deleted, frozen or unknown device,
// §4.1/§12.4); BadResponse for any other status (2xx other than 200, 3xx
// other than 304).
[[nodiscard]] Result<PollResult> poll_target_state(HttpClient& api, const PollRequest& request,
                                                   const std::atomic<bool>* cancel = nullptr);

// ---- scheduling (§4.2) ------------------------------------------------------

inline constexpr std::chrono::milliseconds kDefaultPollInterval{900000};
inline constexpr std::chrono::milliseconds kPollJitterMax{60000};
inline constexpr std::chrono::milliseconds kBackoffBase{15000};

// The poll interval from a target state's config map:
// SUPERVISOR_POLL_INTERVAL (BALENA_ > RESIN_ > bare, see config_var), when
// it is a positive integer; else `fallback` (config.json's
// appUpdatePollInterval, 900000 by default).
[[nodiscard]] std::chrono::milliseconds poll_interval_from_config(
    const std::map<std::string, std::string>& target_config, std::chrono::milliseconds fallback);

// A uniform random integer in [0, max]; injected so tests are repeatable.
using UniformRandom = std::function<std::int64_t(std::int64_t max)>;
// std::random_device-seeded source for production use.
[[nodiscard]] UniformRandom default_uniform_random();

// min(cap, 15 s x 2^k): the delay after the (k+1)th consecutive failure,
// with no jitter (§0.3, §4.2). Saturates instead of overflowing.
[[nodiscard]] std::chrono::milliseconds backoff_delay(int failures_before, std::chrono::milliseconds cap);

// The delay before the next poll. consecutive_failures = failures in a row
// including the poll that just ended (0 after a success):
//   0  -> interval + U(0, 60 s)
//   n  -> backoff_delay(n - 1, interval)
[[nodiscard]] std::chrono::milliseconds next_poll_delay(std::chrono::milliseconds interval,
                                                        int consecutive_failures, const UniformRandom& random);

}  // namespace engine::cloud

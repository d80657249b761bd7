#include "engine/cloud/target_poll.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <mutex>
#include <random>

#include "codec.hpp"
#include "engine/cloud/provision.hpp"

namespace engine::cloud {

Result<PollResult> poll_target_state(HttpClient& api, const PollRequest& request, const std::atomic<bool>* cancel) {
  const std::string call = "poll target state";
  HttpRequest http;
  http.path = fmt::format("/device/v3/{}/state", detail::percent_encode(request.uuid));
  http.bearer = request.device_api_key;
  if (request.etag && !request.etag->empty()) http.headers.emplace_back("If-None-Match", *request.etag);
  http.call = call;
  http.cancel = cancel;
  auto response = api.perform(http);
  if (!response) return response.error();
  if (response->status == 304) {
    if (request.etag && !request.etag->empty()) return PollResult(NotModified{*request.etag});
    // The API's answer for a deleted, frozen or unknown device (captures
    // 52, 69): with nothing cached it means "no target", a failed fetch.
    return Error{ErrorKind::HttpStatus, 304, call, "304 without a cached ETag (deleted, frozen or unknown device)",
                 std::nullopt};
  }
  if (response->status != 200) {
    return Error{ErrorKind::BadResponse, response->status, call, "expected 200 or 304", std::nullopt};
  }
  return PollResult(NewTarget{response->header("ETag").value_or(""), std::move(response->body)});
}

std::chrono::milliseconds poll_interval_from_config(const std::map<std::string, std::string>& target_config,
                                                    std::chrono::milliseconds fallback) {
  const auto text = config_var(target_config, "SUPERVISOR_POLL_INTERVAL");
  if (!text) return fallback;
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (ec != std::errc() || end != text->data() + text->size() || value <= 0) return fallback;
  return std::chrono::milliseconds(value);
}

UniformRandom default_uniform_random() {
  // One engine shared by every copy of the source; the mutex makes it
  // usable from several loops at once.
  struct Shared {
    std::mutex mutex;
    std::mt19937_64 engine{std::random_device{}()};
  };
  auto shared = std::make_shared<Shared>();
  return [shared](std::int64_t max) {
    const std::lock_guard lock(shared->mutex);
    return std::uniform_int_distribution<std::int64_t>(0, std::max<std::int64_t>(max, 0))(shared->engine);
  };
}

std::chrono::milliseconds backoff_delay(int failures_before, std::chrono::milliseconds cap) {
  auto delay = kBackoffBase;
  for (int i = 0; i < failures_before && delay < cap; ++i) delay *= 2;
  return std::min(delay, cap);
}

std::chrono::milliseconds next_poll_delay(std::chrono::milliseconds interval, int consecutive_failures,
                                          const UniformRandom& random) {
  if (consecutive_failures > 0) return backoff_delay(consecutive_failures - 1, interval);
  const std::int64_t jitter = std::clamp<std::int64_t>(random(kPollJitterMax.count()), 0, kPollJitterMax.count());
  return interval + std::chrono::milliseconds(jitter);
}

}  // namespace engine::cloud

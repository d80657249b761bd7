#include "engine/cloud/state_report.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "engine/cloud/target_poll.hpp"

namespace engine::cloud {

std::chrono::milliseconds report_retry_delay(int retries_so_far, std::chrono::milliseconds poll_interval,
                                             std::optional<long> retry_after) {
  if (retry_after && *retry_after >= 0) return std::chrono::seconds(*retry_after);
  return backoff_delay(retries_so_far, poll_interval);
}

std::chrono::milliseconds report_throttle_wait(std::optional<std::chrono::milliseconds> since_last_report) {
  if (!since_last_report) return std::chrono::milliseconds(0);
  return std::max(std::chrono::milliseconds(0), kReportMinInterval - *since_last_report);
}

bool report_due(bool diff_empty, bool metrics_only, std::optional<std::chrono::milliseconds> since_last_success) {
  if (diff_empty) return false;
  if (metrics_only && since_last_success && *since_last_success < kMetricsMinInterval) return false;
  return true;
}

Status send_state_report(HttpClient& api, const std::string& device_api_key, std::string body,
                         BodyEncoding encoding, const std::atomic<bool>* cancel) {
  const std::string call = "state report";
  HttpRequest request;
  request.method = Method::Patch;
  request.path = "/device/v3/state";
  request.bearer = device_api_key;
  request.json_body = std::move(body);
  request.body_encoding = encoding;
  request.call = call;
  request.cancel = cancel;
  auto response = api.perform(request);
  if (!response) return response.error();
  if (response->status < 200 || response->status >= 300) {
    return Error{ErrorKind::BadResponse, response->status, call, "expected a 2xx answer", std::nullopt};
  }
  return {};
}

}  // namespace engine::cloud

// The event stream.
#include <cmath>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "calls.hpp"
#include "engine/docker/client.hpp"
#include "parse.hpp"
#include "stream.hpp"
#include "url.hpp"

namespace engine::docker {

namespace {

// The engine reads "<seconds>.<nanoseconds>"; nine digits so it cannot
// misread the fraction's scale.
std::string timestamp(double unix_seconds) {
  double whole = 0.0;
  const double fraction = std::modf(unix_seconds, &whole);
  return fmt::format("{}.{:09}", static_cast<long long>(whole),
                     static_cast<long long>(std::llround(fraction * 1e9)) % 1000000000LL);
}

}  // namespace

Status Client::stream_events(const EventOptions& options, const EventFn& on_event,
                             const CancelFlag* cancel) const {
  const std::string call = "stream events";
  detail::Request request;
  request.method = detail::Method::get;
  request.path = "/events";
  if (!options.filters.empty()) request.query.emplace_back("filters", detail::filters_json(options.filters));
  if (options.since) request.query.emplace_back("since", timestamp(*options.since));
  request.timeout = options.max_duration;  // zero: only `cancel` ends it
  request.cancel = cancel;

  detail::LineSplitter lines;
  request.on_data = [&](std::string_view chunk) {
    lines.feed(chunk, [&](std::string_view line) {
      const auto json = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
      if (json.is_object() && on_event) on_event(detail::parse_event(json));
    });
    return detail::StreamFlow::proceed;
  };

  auto response = detail::perform(options_, request, call);
  if (!response.ok()) {
    const ErrorKind kind = response.error().kind;
    // Both are the ends the caller asked for.
    if (kind == ErrorKind::cancelled) return {};
    if (kind == ErrorKind::timeout && options.max_duration.count() > 0 &&
        response.error().http_status == 200) {
      return {};
    }
    return response.error();
  }
  if (response->status < 200 || response->status >= 300) return detail::http_error(call, response.value());
  return {};
}

}  // namespace engine::docker

// Image calls, including the streamed pull.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "calls.hpp"
#include "engine/docker/client.hpp"
#include "parse.hpp"
#include "stream.hpp"
#include "url.hpp"

namespace engine::docker {

using detail::make_request;
using detail::Method;

Status Client::pull_image(const std::string& reference, const PullOptions& options,
                          const PullProgressFn& progress, const CancelFlag* cancel) const {
  const std::string call = detail::describe_call("pull image", reference);
  const auto split = detail::split_reference(reference);
  auto request = make_request(options_, Method::post, "/images/create");
  request.query.emplace_back("fromImage", split.repository);
  request.query.emplace_back("tag", split.tag);
  if (options.auth) {
    request.headers.push_back(fmt::format("X-Registry-Auth: {}", detail::registry_auth_header(*options.auth)));
  }
  request.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(options.timeout);
  request.stall_timeout = options.stall_timeout;
  request.cancel = cancel;

  detail::LineSplitter lines;
  detail::PullTracker tracker;
  std::string stream_error;
  const auto handle_line = [&](std::string_view line) {
    const auto json = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (json.is_discarded()) return;  // not a progress message; nothing to report
    PullProgress message;
    stream_error = detail::read_pull_message(json, message);
    if (!stream_error.empty()) return;
    tracker.update(message);
    if (progress) progress(message);
  };
  request.on_data = [&](std::string_view chunk) {
    lines.feed(chunk, handle_line);
    return stream_error.empty() ? detail::StreamFlow::proceed : detail::StreamFlow::stop;
  };

  auto response = detail::perform(options_, request, call);
  if (!response.ok()) return response.error();
  if (response->status < 200 || response->status >= 300) return detail::http_error(call, response.value());
  if (stream_error.empty() && !lines.rest().empty()) handle_line(lines.rest());
  if (!stream_error.empty()) {
    return Error{ErrorKind::engine, response->status, call, stream_error};
  }
  return {};
}

Result<ImageInfo> Client::inspect_image(const std::string& name) const {
  const auto request = make_request(options_, Method::get, detail::object_path("images", name, "/json"));
  return detail::request_parsed(options_, request, detail::describe_call("inspect image", name),
                                detail::parse_image_info);
}

Result<std::vector<ImageSummary>> Client::list_images(const Filters& filters) const {
  const std::string call = "list images";
  auto request = make_request(options_, Method::get, "/images/json");
  request.query.emplace_back("digests", "1");
  if (!filters.empty()) request.query.emplace_back("filters", detail::filters_json(filters));
  return detail::request_list(options_, request, call, detail::parse_image_summary);
}

Status Client::tag_image(const std::string& name, const std::string& repo,
                         const std::string& tag) const {
  auto request = make_request(options_, Method::post, detail::object_path("images", name, "/tag"));
  request.query.emplace_back("repo", repo);
  if (!tag.empty()) request.query.emplace_back("tag", tag);
  return detail::request_status(options_, request,
                                fmt::format("{} as '{}:{}'", detail::describe_call("tag image", name), repo, tag));
}

Status Client::remove_image(const std::string& name, Force force) const {
  auto request = make_request(options_, Method::del, detail::object_path("images", name));
  if (force == Force::yes) request.query.emplace_back("force", "1");
  return detail::request_status(options_, request, detail::describe_call("remove image", name));
}

}  // namespace engine::docker

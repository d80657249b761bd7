// One HTTP exchange with the engine through libcurl. Private to the client.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/docker/client.hpp"

namespace engine::docker::detail {

enum class Method { get, post, del };

// What a streaming sink tells the transport after each chunk.
enum class StreamFlow { proceed, stop };

struct Request {
  Method method = Method::get;
  std::string path;  // after the version prefix, already encoded: "/containers/x/start"
  std::vector<std::pair<std::string, std::string>> query;  // encoded by the transport
  std::optional<std::string> json_body;
  std::vector<std::string> headers;  // extra "Name: value" lines
  std::chrono::milliseconds timeout{0};  // whole exchange; zero: none
  std::chrono::seconds stall_timeout{0};  // fail when no byte arrives this long; zero: none
  const CancelFlag* cancel = nullptr;
  // When set, a 2xx body is handed over chunk by chunk instead of collected.
  // Returning stop ends the exchange successfully.
  std::function<StreamFlow(std::string_view)> on_data;
};

struct Response {
  long status = 0;
  std::string body;  // empty for a streamed 2xx answer
};

// Performs the exchange. Fails (naming `call`) on a transport problem, a
// timeout or cancellation; an HTTP error status is NOT a failure here, so
// each call decides what 304 or 404 mean.
[[nodiscard]] Result<Response> perform(const ClientOptions& options, const Request& request,
                                       const std::string& call);

// The Error for an HTTP error answer: kind from the status, message from the
// engine's {"message": ...} body.
[[nodiscard]] Error http_error(const std::string& call, const Response& response);

// ok for 2xx (and for the extra statuses given, e.g. 304), else http_error.
[[nodiscard]] Status expect_success(const std::string& call, const Result<Response>& response,
                                    std::initializer_list<long> also_ok = {});

}  // namespace engine::docker::detail

#include "calls.hpp"

namespace engine::docker::detail {

Request make_request(const ClientOptions& options, Method method, std::string path) {
  Request request;
  request.method = method;
  request.path = std::move(path);
  request.timeout = options.request_timeout;
  return request;
}

Result<nlohmann::json> request_json(const ClientOptions& options, const Request& request,
                                    const std::string& call) {
  auto response = perform(options, request, call);
  if (!response.ok()) return response.error();
  if (response->status < 200 || response->status >= 300) return http_error(call, response.value());
  auto json = nlohmann::json::parse(response->body, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) {
    return Error{ErrorKind::bad_response, response->status, call,
                 "answer is not JSON: " + response->body.substr(0, 200)};
  }
  return json;
}

Status request_status(const ClientOptions& options, const Request& request,
                      const std::string& call, std::initializer_list<long> also_ok) {
  return expect_success(call, perform(options, request, call), also_ok);
}

std::string describe_call(const char* action, const std::string& object) {
  return std::string(action) + " '" + object + "'";
}

}  // namespace engine::docker::detail

#include "calls.hpp"

#include <fmt/format.h>

#include "url.hpp"

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
                 fmt::format("answer is not JSON: {}", response->body.substr(0, 200))};
  }
  return json;
}

Status request_status(const ClientOptions& options, const Request& request,
                      const std::string& call, std::initializer_list<long> also_ok) {
  return expect_success(call, perform(options, request, call), also_ok);
}

Result<std::string> request_created_id(const ClientOptions& options, const Request& request,
                                       const std::string& call) {
  auto json = request_json(options, request, call);
  if (!json.ok()) return json.error();
  const auto id = json->find("Id");
  if (id == json->end() || !id->is_string()) {
    return Error{ErrorKind::bad_response, 201, call, "no Id in the answer"};
  }
  return id->get<std::string>();
}

std::string object_path(std::string_view collection, std::string_view name, std::string_view suffix) {
  return fmt::format("/{}/{}{}", collection, path_part(name), suffix);
}

std::string name_in(const JsonBody& body) {
  const auto json = nlohmann::json::parse(body.text, nullptr, /*allow_exceptions=*/false);
  if (json.is_object() && json.contains("Name") && json["Name"].is_string()) {
    return json["Name"].get<std::string>();
  }
  return "";
}

std::string describe_call(const char* action, const std::string& object) {
  return fmt::format("{} '{}'", action, object);
}

}  // namespace engine::docker::detail

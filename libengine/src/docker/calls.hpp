// Shared shapes of the client's calls. Private to the client.
#pragma once

#include <nlohmann/json.hpp>
#include <range/v3/range/conversion.hpp>
#include <range/v3/view/transform.hpp>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "http.hpp"

namespace engine::docker::detail {

// A request with the client's ordinary time limit.
[[nodiscard]] Request make_request(const ClientOptions& options, Method method, std::string path);

// Performs `request` and parses a 2xx answer as JSON; any other status
// becomes http_error, unparsable JSON bad_response.
[[nodiscard]] Result<nlohmann::json> request_json(const ClientOptions& options,
                                                  const Request& request, const std::string& call);

// Performs `request` and expects 2xx (or one of `also_ok`), ignoring the body.
[[nodiscard]] Status request_status(const ClientOptions& options, const Request& request,
                                    const std::string& call,
                                    std::initializer_list<long> also_ok = {});

// Performs `request` and returns the "Id" of what a 2xx JSON answer says
// was created (the answer to POST /containers/create, /networks/create).
[[nodiscard]] Result<std::string> request_created_id(const ClientOptions& options, const Request& request,
                                                     const std::string& call);

// "/<collection>/<name, percent-encoded><suffix>": the path of one engine
// object, e.g. object_path("containers", id, "/start").
[[nodiscard]] std::string object_path(std::string_view collection, std::string_view name,
                                      std::string_view suffix = "");

// The "Name" of a create body ("" when it has none), for error texts.
[[nodiscard]] std::string name_in(const JsonBody& body);

// "start container 'web'": the text every Error of a call starts with.
[[nodiscard]] std::string describe_call(const char* action, const std::string& object);

// Performs `request` and reads a 2xx JSON answer with `parse`.
template <class Parse>
[[nodiscard]] auto request_parsed(const ClientOptions& options, const Request& request, const std::string& call,
                                  Parse parse) -> Result<std::invoke_result_t<Parse, const nlohmann::json&>> {
  auto json = request_json(options, request, call);
  if (!json.ok()) return json.error();
  return parse(json.value());
}

// Each element of a JSON array read with `parse`.
template <class Parse>
[[nodiscard]] auto parse_each(const nlohmann::json& array, Parse parse)
    -> std::vector<std::invoke_result_t<Parse, const nlohmann::json&>> {
  return array | ranges::views::transform(parse) | ranges::to<std::vector>();
}

// Performs `request` and reads a 2xx answer that is a JSON array, each
// element with `parse`; anything but an array is bad_response.
template <class Parse>
[[nodiscard]] auto request_list(const ClientOptions& options, const Request& request, const std::string& call,
                                Parse parse)
    -> Result<std::vector<std::invoke_result_t<Parse, const nlohmann::json&>>> {
  auto json = request_json(options, request, call);
  if (!json.ok()) return json.error();
  if (!json->is_array()) return Error{ErrorKind::bad_response, 200, call, "expected a JSON array"};
  return parse_each(json.value(), parse);
}

}  // namespace engine::docker::detail

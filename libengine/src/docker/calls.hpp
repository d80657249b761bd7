// Shared shapes of the client's calls. Private to the client.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

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

// "start container 'web'": the text every Error of a call starts with.
[[nodiscard]] std::string describe_call(const char* action, const std::string& object);

}  // namespace engine::docker::detail

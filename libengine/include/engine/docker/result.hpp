// How every Docker client call reports failure: a value, never an exception.
// An Error says which call failed (`call`, e.g. "stop container 'web_1'"),
// the HTTP status when the engine answered, and the engine's own message.
#pragma once

#include <string>

#include "engine/common/result.hpp"
#include <utility>
#include <variant>

namespace engine::docker {

// What kind of failure, so callers can branch without parsing messages.
// Only the kind and the status drive behaviour; `message` is for logs.
enum class ErrorKind {
  not_found,     // HTTP 404: no such container/image/network/volume
  conflict,      // HTTP 409: name in use, container running, image in use
  bad_request,   // HTTP 400: the engine rejected the request body or query
  engine,        // any other HTTP error, or an error inside a pull stream
  timeout,       // the call's time limit passed
  cancelled,     // the caller's cancel flag was set
  transport,     // could not connect, connection lost, bad DOCKER_HOST
  bad_response,  // the engine answered something that is not the expected JSON
};

[[nodiscard]] const char* to_string(ErrorKind kind);

struct Error {
  ErrorKind kind = ErrorKind::engine;
  long http_status = 0;  // 0 when no HTTP answer was received
  std::string call;      // which call failed, with the object it named
  std::string message;   // the engine's message, or curl's

  [[nodiscard]] bool is_not_found() const { return kind == ErrorKind::not_found; }
  // "<call>: <message> (HTTP <status>)" or "<call>: <kind>: <message>".
  [[nodiscard]] std::string describe() const;
};

// A value or an Error.
template <class T>
using Result = ResultOf<T, Error>;

// Success or an Error, for calls that return nothing.
class [[nodiscard]] Status : public StatusOf<Error> {
 public:
  using StatusOf::StatusOf;
  [[nodiscard]] bool is_not_found() const { return !ok() && error().is_not_found(); }
};

}  // namespace engine::docker

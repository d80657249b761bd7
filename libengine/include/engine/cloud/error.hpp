// How every cloud call reports failure: a value, never an exception. The
// kind says what went wrong so that callers can choose between backing off
// (Dns, Connect, Tls, Timeout), re-provisioning (HttpStatus 401) and giving
// up; the message is for logs and people, never for branching.
#pragma once

#include <optional>
#include <string>
#include <utility>

#include "engine/common/error.hpp"
#include "engine/common/result.hpp"

namespace engine::cloud {

enum class ErrorKind {
  Dns,          // the host name did not resolve
  Connect,      // no connection, or the connection broke mid-exchange
  Tls,          // the TLS handshake or the certificate check failed
  Timeout,      // the connect or total timeout passed
  HttpStatus,   // the cloud answered with a status the call does not accept
  BadResponse,  // the cloud answered something the call cannot read
  Cancelled,    // the caller's cancel flag was set
  Config,       // config.json (or a value taken from it) is unusable
  FileSystem,   // a local file could not be read or written
};

[[nodiscard]] const char* to_string(ErrorKind kind);

struct Error {
  ErrorKind kind = ErrorKind::Connect;
  long http_status = 0;  // the answer's status when there was one, else 0
  std::string call;      // which call failed: "register", "poll target state", ...
  std::string message;   // curl's, the cloud's body text, or ours
  // The failing answer's Retry-After header as an integer, when it had one
  // (state report and tags honour it, cloud-protocol §0.3).
  std::optional<long> retry_after;

  // "<call>: <kind> (HTTP <status>): <message>", for logs.
  [[nodiscard]] std::string describe() const;
};

template <class T>
using Result = ResultOf<T, Error>;

// Success, or an Error.
using Status = StatusOf<Error>;

// The libengine-wide form: network failures are Unavailable, any refusing
// status (401 and 403 included) is Refused, unreadable answers BadResponse,
// config.json problems Invalid. The message is describe().
[[nodiscard]] engine::Error to_engine_error(const Error& error);

}  // namespace engine::cloud

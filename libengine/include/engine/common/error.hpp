// The error convention of libengine's seams (snapshot, executor, records,
// locks, cloud): a failure is a kind and a message. Only the kind drives
// behaviour (the apply loop's backoff, the API's HTTP status); the message is
// for logs and people. The adapters below the seams keep their own richer
// errors (docker::Error, store::Error) and convert with error_from().
#pragma once

#include <string>
#include <utility>

#include "engine/common/result.hpp"

namespace engine {

enum class ErrorKind {
  NotFound,      // the object named does not exist
  Conflict,      // the object exists already, or is in use
  Locked,        // a user service holds an update lock
  Unavailable,   // a service (engine, cloud) cannot be reached or timed out
  Refused,       // a service answered with an error
  BadResponse,   // a service answered something that cannot be read
  Invalid,       // the request or stored data cannot be carried out as given
  FileSystem,    // a local file or directory cannot be read or written
  Store,         // the database failed
  Cancelled,     // the caller abandoned the work
};

[[nodiscard]] const char* to_string(ErrorKind kind);

struct Error {
  ErrorKind kind = ErrorKind::Refused;
  std::string message;

  // "<kind>: <message>", for logs.
  [[nodiscard]] std::string describe() const;
};

template <class T>
using Result = ResultOf<T, Error>;

// Success, or an Error.
class [[nodiscard]] Status : public StatusOf<Error> {
 public:
  using StatusOf::StatusOf;
  static Status success() { return {}; }
  static Status failure(ErrorKind kind, std::string message) { return Error{kind, std::move(message)}; }
};

}  // namespace engine

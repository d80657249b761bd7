#include "engine/runtime/docker_errors.hpp"

namespace engine {

Error error_from(const docker::Error& error) {
  const ErrorKind kind = [&] {
    switch (error.kind) {
      case docker::ErrorKind::not_found: return ErrorKind::NotFound;
      case docker::ErrorKind::conflict: return ErrorKind::Conflict;
      case docker::ErrorKind::bad_request: return ErrorKind::Invalid;
      case docker::ErrorKind::engine: return ErrorKind::Refused;
      case docker::ErrorKind::timeout: return ErrorKind::Unavailable;
      case docker::ErrorKind::cancelled: return ErrorKind::Cancelled;
      case docker::ErrorKind::transport: return ErrorKind::Unavailable;
      case docker::ErrorKind::bad_response: return ErrorKind::BadResponse;
    }
    return ErrorKind::Refused;
  }();
  return Error{kind, error.describe()};
}

}  // namespace engine

#include "engine/common/error.hpp"

#include <fmt/format.h>

namespace engine {

const char* to_string(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::NotFound: return "not found";
    case ErrorKind::Conflict: return "conflict";
    case ErrorKind::Locked: return "locked";
    case ErrorKind::Unavailable: return "unavailable";
    case ErrorKind::Refused: return "refused";
    case ErrorKind::BadResponse: return "bad response";
    case ErrorKind::Invalid: return "invalid";
    case ErrorKind::FileSystem: return "file system";
    case ErrorKind::Store: return "store";
    case ErrorKind::Cancelled: return "cancelled";
  }
  return "unknown";
}

std::string Error::describe() const { return fmt::format("{}: {}", to_string(kind), message); }

}  // namespace engine

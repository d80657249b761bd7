#include "engine/cloud/error.hpp"

#include <fmt/format.h>

namespace engine::cloud {

const char* to_string(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::Dns: return "dns";
    case ErrorKind::Connect: return "connect";
    case ErrorKind::Tls: return "tls";
    case ErrorKind::Timeout: return "timeout";
    case ErrorKind::HttpStatus: return "http status";
    case ErrorKind::BadResponse: return "bad response";
    case ErrorKind::Cancelled: return "cancelled";
    case ErrorKind::Config: return "config";
    case ErrorKind::FileSystem: return "file system";
  }
  return "unknown";
}

std::string Error::describe() const {
  if (http_status != 0) return fmt::format("{}: {} (HTTP {}): {}", call, to_string(kind), http_status, message);
  return fmt::format("{}: {}: {}", call, to_string(kind), message);
}

engine::Error to_engine_error(const Error& error) {
  engine::ErrorKind kind = engine::ErrorKind::Unavailable;
  switch (error.kind) {
    case ErrorKind::Dns:
    case ErrorKind::Connect:
    case ErrorKind::Tls:
    case ErrorKind::Timeout: kind = engine::ErrorKind::Unavailable; break;
    case ErrorKind::HttpStatus: kind = engine::ErrorKind::Refused; break;
    case ErrorKind::BadResponse: kind = engine::ErrorKind::BadResponse; break;
    case ErrorKind::Cancelled: kind = engine::ErrorKind::Cancelled; break;
    case ErrorKind::Config: kind = engine::ErrorKind::Invalid; break;
    case ErrorKind::FileSystem: kind = engine::ErrorKind::FileSystem; break;
  }
  return engine::Error{kind, error.describe()};
}

}  // namespace engine::cloud

#include "engine/store/result.hpp"

namespace engine::store {

const char* to_string(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::Sqlite: return "sqlite";
    case ErrorKind::Corrupt: return "corrupt";
    case ErrorKind::StoredData: return "stored data";
    case ErrorKind::NewerSchema: return "newer schema";
    case ErrorKind::FileSystem: return "file system";
  }
  return "unknown";
}

std::string Error::describe() const {
  std::string text = operation + ": " + message;
  if (sqlite_code != 0) text += " (sqlite code " + std::to_string(sqlite_code) + ")";
  return text;
}

}  // namespace engine::store

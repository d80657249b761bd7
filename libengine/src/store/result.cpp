#include "engine/store/result.hpp"
#include "engine/store/store.hpp"

#include <fmt/format.h>

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

const char* to_string(CopyAction action) {
  switch (action) {
    case CopyAction::Kept: return "kept";
    case CopyAction::Rewritten: return "rewritten";
    case CopyAction::Restored: return "restored";
    case CopyAction::Salvaged: return "salvaged";
    case CopyAction::Lost: return "lost";
  }
  return "unknown";
}

std::string Error::describe() const {
  if (sqlite_code == 0) return fmt::format("{}: {}", operation, message);
  return fmt::format("{}: {} (sqlite code {})", operation, message, sqlite_code);
}

}  // namespace engine::store

// The schema migrations compiled into the library from
// schema/migrations/NNNN_<name>.sql (see libengine/src/store/CMakeLists.txt).
// The daemon needs no schema files at run time.
#pragma once

#include <span>
#include <string_view>

namespace engine::store {

struct Migration {
  int version;            // NNNN of the file name: 1, 2, ... without gaps
  std::string_view name;  // the file name without .sql, e.g. "0001_core"
  std::string_view sql;   // the file's text, run as one transaction
};

// Every migration, in version order.
[[nodiscard]] std::span<const Migration> migrations();

}  // namespace engine::store

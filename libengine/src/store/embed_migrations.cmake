# Generates a C++ source that holds every schema/migrations/NNNN_<name>.sql
# as a string, so the daemon carries its schema and needs no files at run
# time. Run at build time by the custom command in CMakeLists.txt:
#   cmake -DMIGRATIONS_DIR=<dir> -DOUTPUT=<file.cpp> -P embed_migrations.cmake
# Fails the build when the numbering has a gap or a duplicate, since the
# store applies versions 1..N in order.
file(GLOB files LIST_DIRECTORIES false "${MIGRATIONS_DIR}/*.sql")
list(SORT files)

set(entries "")
set(expected 1)
foreach(path IN LISTS files)
  get_filename_component(name "${path}" NAME_WE)
  if(NOT name MATCHES "^([0-9][0-9][0-9][0-9])_[a-z0-9_]+$")
    message(FATAL_ERROR "migration ${path}: name must be NNNN_<lowercase_name>.sql")
  endif()
  math(EXPR version "${CMAKE_MATCH_1}")  # drops the leading zeros
  if(NOT version EQUAL expected)
    message(FATAL_ERROR "migration ${path}: expected version ${expected}, found ${version}")
  endif()
  math(EXPR expected "${expected} + 1")
  file(READ "${path}" sql)
  # A raw string literal holds the text as it is; only its terminator may
  # not appear inside.
  string(FIND "${sql}" ")migration\"" clash)
  if(NOT clash EQUAL -1)
    message(FATAL_ERROR "migration ${path} contains the raw-string terminator )migration\"")
  endif()
  string(APPEND entries "    {${version}, \"${name}\", R\"migration(${sql})migration\"},\n")
endforeach()
if(expected EQUAL 1)
  message(FATAL_ERROR "no migrations in ${MIGRATIONS_DIR}")
endif()

set(content "// Generated from schema/migrations by embed_migrations.cmake. Do not edit.
#include \"engine/store/migrations.hpp\"

namespace engine::store {
namespace {
constexpr Migration kMigrations[] = {
${entries}};
}  // namespace

std::span<const Migration> migrations() { return kMigrations; }

}  // namespace engine::store
")
# Rewrite only on change so an unchanged schema does not rebuild the library.
if(EXISTS "${OUTPUT}")
  file(READ "${OUTPUT}" old)
  if(old STREQUAL content)
    return()
  endif()
endif()
file(WRITE "${OUTPUT}" "${content}")

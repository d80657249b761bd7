// The balena database's fuzzed entry (engine_entry_points.hpp): the bytes
// as database.sqlite, read as a switch-over reads it.
#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "engine/store/balena_import.hpp"
#include "engine_entry_points.hpp"

namespace reconcile::fuzz {

void balena_database(std::string_view input) {
  // One file per process, rewritten for every input: SQLite reads files.
  static const std::filesystem::path path =
      std::filesystem::temp_directory_path() / fmt::format("balena-database-fuzz-{}.sqlite", ::getpid());
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(input.data(), static_cast<std::streamsize>(input.size()));
  }
  const auto before = std::filesystem::file_size(path);
  auto read = engine::store::read_balena_database(path, engine::store::BalenaImportOptions{});
  if (!read && read.error().message.empty()) {
    fmt::print(stderr, "balena_database: a refusal without a message ({})\n", to_string(read.error().kind));
    std::abort();
  }
  // Read-only: the operator's way back is the file as it was.
  if (std::filesystem::file_size(path) != before) {
    fmt::print(stderr, "balena_database: the file changed size while read\n");
    std::abort();
  }
  for (const char* suffix : {"-journal", "-wal", "-shm"}) {
    std::filesystem::path extra = path;
    extra += suffix;
    if (std::filesystem::exists(extra)) {
      fmt::print(stderr, "balena_database: reading left {}\n", extra.string());
      std::abort();
    }
  }
}

}  // namespace reconcile::fuzz

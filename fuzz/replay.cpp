// Runs every file of a corpus folder through a fuzzed entry point, so that
// the gcc build checks the corpus (including the inputs that once crashed)
// on every test run. Usage: fuzz-replay <target> <folder>...
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include "entry_points.hpp"
#ifdef RECONCILE_FUZZ_ENGINE
#include "engine_entry_points.hpp"
#endif

int main(int argc, char** argv) {
  using Entry = void (*)(std::string_view);
  const std::map<std::string, Entry> entries = {
      {"parse_request", reconcile::fuzz::parse_request},
      {"target_state", reconcile::fuzz::parse_target_state},
      {"planner", reconcile::fuzz::plan},
#ifdef RECONCILE_FUZZ_ENGINE
      {"cloud_answer", reconcile::fuzz::cloud_answer},
      {"config_json", reconcile::fuzz::config_json},
      {"daemon_config", reconcile::fuzz::daemon_config},
      {"engine_json", reconcile::fuzz::engine_json},
      {"json_intake", reconcile::fuzz::json_intake},
      {"local_api", reconcile::fuzz::local_api},
      {"balena_database", reconcile::fuzz::balena_database},
#endif
  };
  const auto entry = argc < 3 ? entries.end() : entries.find(argv[1]);
  if (entry == entries.end()) {
    std::string names;
    for (const auto& [name, _] : entries) names += " " + name;
    fmt::print(stderr, "usage: fuzz-replay <target> <folder>...\ntargets:{}\n", names);
    return 2;
  }
  std::size_t count = 0;
  for (int i = 2; i < argc; ++i) {
    std::vector<std::filesystem::path> files;
    for (const auto& entry_path : std::filesystem::directory_iterator(argv[i])) files.push_back(entry_path.path());
    std::sort(files.begin(), files.end());
    for (const auto& file : files) {
      std::ifstream in(file, std::ios::binary);
      const std::string input((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      entry->second(input);
      ++count;
    }
  }
  fmt::print("{}: {} inputs replayed\n", entry->first, count);
  return count == 0 ? 1 : 0;
}

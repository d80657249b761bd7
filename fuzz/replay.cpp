// Runs every file of a corpus folder through a fuzzed entry point, so that
// the gcc build checks the corpus (including the inputs that once crashed)
// on every test run. Usage: fuzz-replay parse_request|target_state|planner <folder>...
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "entry_points.hpp"

int main(int argc, char** argv) {
  if (argc < 3) {
    fmt::print(stderr, "usage: fuzz-replay parse_request|target_state|planner <folder>...\n");
    return 2;
  }
  const std::string target = argv[1];
  void (*entry)(std::string_view) = nullptr;
  if (target == "parse_request") entry = reconcile::fuzz::parse_request;
  if (target == "target_state") entry = reconcile::fuzz::parse_target_state;
  if (target == "planner") entry = reconcile::fuzz::plan;
  if (entry == nullptr) {
    fmt::print(stderr, "unknown target {}\n", target);
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
      entry(input);
      ++count;
    }
  }
  fmt::print("{}: {} inputs replayed\n", target, count);
  return count == 0 ? 1 : 0;
}

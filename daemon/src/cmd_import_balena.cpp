// `supervisor import-balena --from PATH [--config FILE] [--data-dir DIR]
// [--replace]`: the switch-over's import by hand (docs/switch-over.md).
#include <fmt/format.h>

#include <cstdio>
#include <string>

#include "balena_switch.hpp"
#include "commands.hpp"

namespace supervisor {
namespace {

constexpr const char* kUsage =
    "usage: supervisor import-balena --from PATH/database.sqlite [--config FILE] [--data-dir DIR] [--replace]\n";

}  // namespace

int cmd_import_balena(std::span<const std::string_view> args) {
  std::string from;
  std::string data_dir;
  std::vector<std::string_view> config_args;
  bool replace = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const bool has_value = i + 1 < args.size();
    if (args[i] == "--from" && has_value) {
      from = args[++i];
    } else if (args[i] == "--data-dir" && has_value) {
      data_dir = args[++i];
    } else if (args[i] == "--config" && has_value) {
      config_args = {args[i], args[i + 1]};
      ++i;
    } else if (args[i] == "--replace") {
      replace = true;
    } else {
      std::fputs(kUsage, stderr);
      return 2;
    }
  }
  if (from.empty()) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  auto config = config_from_args(config_args, "import-balena");
  if (!config) return 2;
  if (!data_dir.empty()) config->data_dir = data_dir;

  const auto outcome = import_balena(*config, from, replace);
  if (!outcome.imported) {
    fmt::print(stderr, "supervisor import-balena: nothing imported: {}\n", outcome.error);
    return 1;
  }
  const auto& state = outcome.read.state;
  fmt::print("imported {} into {}\n", from, config->database_path());
  if (state.target) {
    for (const auto& app : state.target->state.apps) {
      fmt::print("  app {} ({}) release {}: {} services\n", app.app_id, app.name, app.commit.value_or("none"),
                 app.services.size());
    }
  } else {
    fmt::print("  no target\n");
  }
  fmt::print("  {} image records, {} commits, {} API keys, {} config values\n", state.images.size(),
             state.commits.size(), state.api_keys.size(), state.config.size());
  for (const std::string& note : outcome.read.notes) fmt::print("  note: {}\n", note);
  return 0;
}

}  // namespace supervisor

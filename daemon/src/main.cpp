// supervisor: the device supervisor's single binary.
#include <fmt/format.h>
#include <malloc.h>

#include <cstdio>
#include <string_view>
#include <vector>

#include "commands.hpp"
#include "version.hpp"

namespace {

constexpr const char* kUsage =
    "usage: supervisor <command> [options]\n"
    "\n"
    "commands:\n"
    "  run [--config FILE]               run the daemon (docs/configuration.md)\n"
    "  plan [--all] [--explain] [FILE]   plan the next steps for a plan request\n"
    "                                    (FILE or stdin; see docs/plan-request.md)\n"
    "  compose                           answer compose conversion requests (stdin)\n"
    "  healthcheck [--config FILE]       ask the running daemon whether it is healthy\n"
    "  import-balena --from DB [--config FILE] [--data-dir DIR] [--replace]\n"
    "                                    take over the balena supervisor's state\n"
    "                                    (docs/switch-over.md)\n"
    "  version, --version                this daemon's version and the balena\n"
    "                                    supervisor API version it follows\n"
    "  help                              show this text\n";

}  // namespace

namespace supervisor {

std::optional<Config> config_from_args(std::span<const std::string_view> args, const char* command) {
  std::string path;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--config" && i + 1 < args.size()) {
      path = args[++i];
    } else {
      fmt::print(stderr, "usage: supervisor {} [--config FILE]\n", command);
      return std::nullopt;
    }
  }
  ConfigResult loaded = load_config(path);
  if (!loaded.config) {
    fmt::print(stderr, "supervisor {}: {}\n", command, loaded.error);
    return std::nullopt;
  }
  return std::move(loaded.config);
}

}  // namespace supervisor

int main(int argc, char** argv) {
  // One malloc arena for every thread instead of up to eight per core: the
  // API, apply, cloud and log threads each left a half-empty arena resident
  // (bench/footprint_bench.py: ~400 KiB less idle RSS; the daemon is never
  // bound by malloc contention).
  mallopt(M_ARENA_MAX, 1);
  std::vector<std::string_view> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "help" || args[0] == "--help" || args[0] == "-h") {
    std::fputs(kUsage, args.empty() ? stderr : stdout);
    return args.empty() ? 2 : 0;
  }
  if (args[0] == "version" || args[0] == "--version") {
    fmt::print("supervisor {} (balena supervisor API {})\n", supervisor::kDaemonVersion, supervisor::kSupervisorVersion);
    return 0;
  }
  const std::string_view command = args[0];
  const std::span<const std::string_view> rest(args.data() + 1, args.size() - 1);
  if (command == "plan") return supervisor::cmd_plan(rest);
  if (command == "compose") return supervisor::cmd_compose(rest);
  if (command == "healthcheck") return supervisor::cmd_healthcheck(rest);
  if (command == "run") return supervisor::cmd_run(rest);
  if (command == "import-balena") return supervisor::cmd_import_balena(rest);
  fmt::print(stderr, "supervisor: unknown command '{}'\n\n{}", command, kUsage);
  return 2;
}

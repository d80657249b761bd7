// The supervisor's subcommands. Each returns the process exit code:
// 0 success, 1 failure at run time, 2 bad usage or bad input.
#pragma once

#include <optional>
#include <span>
#include <string_view>

#include "config.hpp"

namespace supervisor {

// Reads `[--config FILE]` and the configuration it names (defaults when
// absent). On a bad argument or file: prints why, with the command's usage,
// and returns nullopt (the caller exits 2).
std::optional<Config> config_from_args(std::span<const std::string_view> args, const char* command);

int cmd_plan(std::span<const std::string_view> args);
int cmd_compose(std::span<const std::string_view> args);
int cmd_healthcheck(std::span<const std::string_view> args);
int cmd_run(std::span<const std::string_view> args);
int cmd_import_balena(std::span<const std::string_view> args);

}  // namespace supervisor

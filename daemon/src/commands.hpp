// The supervisor's subcommands. Each returns the process exit code:
// 0 success, 1 failure at run time, 2 bad usage or bad input.
#pragma once

#include <span>
#include <string_view>

namespace supervisor {

int cmd_plan(std::span<const std::string_view> args);
int cmd_compose(std::span<const std::string_view> args);
int cmd_healthcheck(std::span<const std::string_view> args);
int cmd_run(std::span<const std::string_view> args);

}  // namespace supervisor

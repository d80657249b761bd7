// SUPERVISOR_LOG_LEVEL among a target's config variables: the log level
// changed from the cloud's dashboard, without a restart. Not one of
// balena's variables (balena's supervisor has none for its own log level),
// so it is neither stored with them nor reported in the initial config
// report; it is read from the target each time one arrives, and from the
// stored target at start.
#pragma once

#include <map>
#include <string>

#include "log.hpp"

namespace supervisor {

// While the target sets it (BALENA_ > RESIN_ > bare) to debug, info, warn or
// error, it wins over the configured level; absent, empty or unreadable
// (logged as a warning), the configured level holds again.
void obey_log_level_variable(Logger& log, const std::map<std::string, std::string>& target_config);

}  // namespace supervisor

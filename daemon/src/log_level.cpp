#include "log_level.hpp"

#include <optional>

#include "engine/cloud/provision.hpp"

namespace supervisor {

void obey_log_level_variable(Logger& log, const std::map<std::string, std::string>& target_config) {
  const Level before = log.threshold();
  const auto text = engine::cloud::config_var(target_config, "SUPERVISOR_LOG_LEVEL");
  std::optional<Level> level;
  if (text && !text->empty()) {
    level = parse_level(*text);
    if (!level) {
      log.warn("config", "SUPERVISOR_LOG_LEVEL ignored: not one of debug, info, warn, error", {{"value", *text}});
    }
  }
  log.set_override(level);
  if (log.threshold() != before) log.info("config", "log level changed", {{"level", to_string(log.threshold())}});
}

}  // namespace supervisor

// The log level (issue 15 item 3): the configuration file's logLevel, the
// SUPERVISOR_LOG_LEVEL environment variable over it, the cloud's
// SUPERVISOR_LOG_LEVEL over both while set; and the logger writing only
// what reaches the level.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <string>
#include <vector>

#include "config.hpp"
#include "log.hpp"
#include "log_level.hpp"
#include "scoped_env.hpp"

namespace {

using supervisor::Level;

// A logger whose lines land in `lines` instead of stderr.
struct Captured {
  std::vector<std::string> lines;
  supervisor::Logger log;
  explicit Captured(Level level) : log(level, [this](std::string_view line) { lines.emplace_back(line); }) {}

  [[nodiscard]] std::vector<std::string> events() const {
    std::vector<std::string> out;
    for (const auto& line : lines) {
      // "<time> <level> <event> ...": the level and the event.
      const auto first = line.find(' ');
      const auto third = line.find(' ', line.find(' ', first + 1) + 1);
      out.push_back(line.substr(first + 1, third - first - 1));
    }
    return out;
  }
};

}  // namespace

TEST_CASE("the logger writes what reaches its level and drops the rest") {
  Captured captured(Level::Info);
  captured.log.log(Level::Debug, "hidden", "");
  captured.log.info("shown", "");
  captured.log.warn("warned", "");
  CHECK(captured.events() == std::vector<std::string>{"info shown", "warn warned"});

  captured.lines.clear();
  captured.log.set_threshold(Level::Debug);
  captured.log.log(Level::Debug, "now-shown", "");
  CHECK(captured.events() == std::vector<std::string>{"debug now-shown"});

  captured.lines.clear();
  captured.log.set_override(Level::Error);  // wins over the configured level
  captured.log.warn("hidden", "");
  captured.log.error("failed", "");
  captured.log.set_override(std::nullopt);  // back to the configured one
  captured.log.log(Level::Debug, "again", "");
  CHECK(captured.events() == std::vector<std::string>{"error failed", "debug again"});
}

TEST_CASE("subscribers get every event whatever the level") {
  Captured captured(Level::Error);
  int seen = 0;
  captured.log.subscribe([&](const supervisor::LogEvent&) { ++seen; });
  captured.log.log(Level::Debug, "one", "");
  captured.log.info("two", "");
  CHECK(seen == 2);
  CHECK(captured.lines.empty());
}

TEST_CASE("levels read in any case; anything else is not a level") {
  CHECK(supervisor::parse_level("debug") == Level::Debug);
  CHECK(supervisor::parse_level("INFO") == Level::Info);
  CHECK(supervisor::parse_level("Warning") == Level::Warn);
  CHECK(supervisor::parse_level("error") == Level::Error);
  CHECK_FALSE(supervisor::parse_level("verbose"));
  CHECK_FALSE(supervisor::parse_level(""));
}

TEST_CASE("logLevel in the configuration file sets the level; a bad one is refused naming the key") {
  CHECK(supervisor::parse_config("{}", "test").config->log_level == Level::Info);
  CHECK(supervisor::parse_config(R"({"logLevel": "debug"})", "test").config->log_level == Level::Debug);
  const auto bad = supervisor::parse_config(R"({"logLevel": "loud"})", "test");
  CHECK_FALSE(bad.config);
  CHECK(bad.error == "test: logLevel must be one of debug, info, warn, error");
  CHECK_FALSE(supervisor::parse_config(R"({"logLevel": 1})", "test").config);
}

TEST_CASE("SUPERVISOR_LOG_LEVEL in the environment wins over the file") {
  {
    const supervisor::testing::ScopedEnv env("SUPERVISOR_LOG_LEVEL", "warn");
    CHECK(supervisor::parse_config(R"({"logLevel": "debug"})", "test").config->log_level == Level::Warn);
    CHECK(supervisor::parse_config("{}", "test").config->log_level == Level::Warn);
  }
  {
    const supervisor::testing::ScopedEnv env("SUPERVISOR_LOG_LEVEL", "chatty");
    const auto bad = supervisor::parse_config("{}", "test");
    CHECK_FALSE(bad.config);
    CHECK(bad.error == "SUPERVISOR_LOG_LEVEL (environment) must be one of debug, info, warn, error");
  }
}

TEST_CASE("the target's SUPERVISOR_LOG_LEVEL wins while it is set") {
  Captured captured(Level::Warn);
  supervisor::obey_log_level_variable(captured.log, {{"BALENA_SUPERVISOR_LOG_LEVEL", "debug"},
                                                     {"SUPERVISOR_LOG_LEVEL", "error"}});
  CHECK(captured.log.threshold() == Level::Debug);  // BALENA_ wins over the bare name

  supervisor::obey_log_level_variable(captured.log, {{"SUPERVISOR_POLL_INTERVAL", "60000"}});
  CHECK(captured.log.threshold() == Level::Warn);  // gone from the target: the configured level

  captured.lines.clear();
  supervisor::obey_log_level_variable(captured.log, {{"RESIN_SUPERVISOR_LOG_LEVEL", "loud"}});
  CHECK(captured.log.threshold() == Level::Warn);
  REQUIRE(captured.lines.size() == 1);
  CHECK(captured.lines[0].find("SUPERVISOR_LOG_LEVEL ignored") != std::string::npos);
}

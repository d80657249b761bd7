#include <catch2/catch.hpp>

#include "engine/cloud/provision.hpp"
#include "engine/cloud/target_poll.hpp"

namespace cloud = engine::cloud;
using std::chrono::milliseconds;

TEST_CASE("poll delay: interval plus U(0, 60 s) jitter after a success", "[poll]") {
  std::int64_t asked = -1;
  const cloud::UniformRandom fixed = [&](std::int64_t max) {
    asked = max;
    return std::int64_t{1234};
  };
  CHECK(cloud::next_poll_delay(milliseconds(900000), 0, fixed) == milliseconds(901234));
  CHECK(asked == 60000);
  // A source going out of range is clamped, never a negative delay.
  const cloud::UniformRandom broken = [](std::int64_t) { return std::int64_t{-5}; };
  CHECK(cloud::next_poll_delay(milliseconds(900000), 0, broken) == milliseconds(900000));
}

TEST_CASE("poll delay after failures: 15 s, 30 s, 60 s ... capped at the interval, no jitter", "[poll]") {
  const cloud::UniformRandom never = [](std::int64_t) -> std::int64_t { FAIL("no jitter on errors"); return 0; };
  CHECK(cloud::next_poll_delay(milliseconds(900000), 1, never) == milliseconds(15000));
  CHECK(cloud::next_poll_delay(milliseconds(900000), 2, never) == milliseconds(30000));
  CHECK(cloud::next_poll_delay(milliseconds(900000), 3, never) == milliseconds(60000));
  CHECK(cloud::next_poll_delay(milliseconds(900000), 7, never) == milliseconds(900000));
  CHECK(cloud::next_poll_delay(milliseconds(900000), 1000, never) == milliseconds(900000));
  CHECK(cloud::next_poll_delay(milliseconds(20000), 2, never) == milliseconds(20000));
}

TEST_CASE("the default random source stays within bounds", "[poll]") {
  const auto random = cloud::default_uniform_random();
  for (int i = 0; i < 100; ++i) {
    const auto value = random(60000);
    CHECK(value >= 0);
    CHECK(value <= 60000);
  }
}

TEST_CASE("poll interval from config vars: BALENA_ wins over RESIN_, bad values fall back", "[poll]") {
  const milliseconds fallback(900000);
  CHECK(cloud::poll_interval_from_config({}, fallback) == fallback);
  CHECK(cloud::poll_interval_from_config({{"RESIN_SUPERVISOR_POLL_INTERVAL", "600000"}}, fallback) ==
        milliseconds(600000));
  CHECK(cloud::poll_interval_from_config(
            {{"RESIN_SUPERVISOR_POLL_INTERVAL", "600000"}, {"BALENA_SUPERVISOR_POLL_INTERVAL", "700000"}},
            fallback) == milliseconds(700000));
  CHECK(cloud::poll_interval_from_config({{"SUPERVISOR_POLL_INTERVAL", "60000"}}, fallback) == milliseconds(60000));
  CHECK(cloud::poll_interval_from_config({{"BALENA_SUPERVISOR_POLL_INTERVAL", "soon"}}, fallback) == fallback);
  CHECK(cloud::poll_interval_from_config({{"BALENA_SUPERVISOR_POLL_INTERVAL", "-1"}}, fallback) == fallback);
}

TEST_CASE("initial config vars: only values the cloud lacks and that differ from defaults", "[provision]") {
  const std::map<std::string, std::string> target{{"RESIN_SUPERVISOR_POLL_INTERVAL", "600000"}};
  const std::map<std::string, std::string> current{{"SUPERVISOR_POLL_INTERVAL", "900000"},
                                                   {"SUPERVISOR_DELTA", "true"},
                                                   {"SUPERVISOR_PERSISTENT_LOGGING", "false"},
                                                   {"SUPERVISOR_LOCAL_MODE", "true"},
                                                   {"SUPERVISOR_VPN_CONTROL", "false"}};
  const std::map<std::string, std::string> defaults{{"SUPERVISOR_POLL_INTERVAL", "900000"},
                                                    {"SUPERVISOR_DELTA", "false"},
                                                    {"SUPERVISOR_PERSISTENT_LOGGING", "false"},
                                                    {"SUPERVISOR_LOCAL_MODE", "false"},
                                                    {"SUPERVISOR_VPN_CONTROL", "true"}};
  const auto vars = cloud::initial_config_vars(target, current, defaults);
  CHECK(vars == std::vector<cloud::ConfigVar>{{"RESIN_SUPERVISOR_DELTA", "true"},
                                              {"RESIN_SUPERVISOR_LOCAL_MODE", "false"},
                                              {"RESIN_SUPERVISOR_VPN_CONTROL", "true"}});
}

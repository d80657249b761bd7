#include <catch2/catch.hpp>

#include "log.hpp"

TEST_CASE("log lines are logfmt with quoted values where needed") {
  supervisor::LogEvent event;
  event.timestamp_ms = 1767227400123;
  event.level = supervisor::Level::Warn;
  event.event = "step-failed";
  event.fields = {{"action", "kill"}, {"what", "kill app 1 service main"}, {"empty", ""}};
  event.message = "said \"no\"\nthen left";
  CHECK(supervisor::Logger::format(event) ==
        "2026-01-01T00:30:00.123Z warn step-failed action=kill what=\"kill app 1 service main\" empty=\"\" "
        "msg=\"said \\\"no\\\"\\nthen left\"");
}

TEST_CASE("subscribers receive every event until they unsubscribe") {
  supervisor::Logger log(supervisor::Level::Error);  // keep test output quiet
  std::vector<std::string> seen;
  const auto id = log.subscribe([&](const supervisor::LogEvent& e) { seen.push_back(e.event); });
  log.info("one", "");
  log.warn("two", "");
  log.unsubscribe(id);
  log.info("three", "");
  CHECK(seen == std::vector<std::string>{"one", "two"});
}

// What the cloud log stream gets from the daemon (docs/logs.md): the lines
// chosen from logger events, the settings that turn it off, the engine's
// timestamps, and the store's spill and resume points.
#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <filesystem>
#include <random>

#include "cloud_logs.hpp"
#include "container_logs.hpp"
#include "engine/store/store.hpp"

namespace cloud = engine::cloud;
using supervisor::cloud_log_line;
using supervisor::Level;
using supervisor::LogEvent;
using supervisor::ServiceLogsLevel;

namespace {

LogEvent container_event(std::string message, std::int64_t service_id, bool is_stderr,
                         ServiceLogsLevel level = ServiceLogsLevel::All) {
  LogEvent event;
  event.timestamp_ms = 1000;
  event.event = "container";
  event.message = std::move(message);
  event.from_container = true;
  event.is_stderr = is_stderr;
  event.service_id = service_id;
  event.container_id = "c1";
  event.engine_time_ns = 1'000'000'123;
  event.logs_level = level;
  return event;
}

LogEvent daemon_event(Level level, std::string event_name, std::string message, std::string system_text = {}) {
  LogEvent event;
  event.timestamp_ms = 2000;
  event.level = level;
  event.event = std::move(event_name);
  event.message = std::move(message);
  event.system_text = std::move(system_text);
  return event;
}

struct TempStore {
  std::filesystem::path dir;
  std::optional<engine::store::Store> store;
  explicit TempStore(std::int64_t capacity = 10000) {
    dir = std::filesystem::temp_directory_path() /
          fmt::format("cloud-logs-test-{}", std::random_device{}());
    std::filesystem::create_directories(dir);
    engine::store::StoreOptions options;
    options.path = dir / "db.sqlite";
    options.log_capacity = capacity;
    auto opened = engine::store::Store::open(options);
    REQUIRE(opened.ok());
    store.emplace(std::move(opened.value().store));
  }
  ~TempStore() {
    store.reset();
    std::filesystem::remove_all(dir);
  }
};

}  // namespace

TEST_CASE("container lines go with their service id and origin; without one they are dropped") {
  auto line = cloud_log_line(container_event("listening on :80", 7, false));
  REQUIRE(line);
  CHECK(line->message == "listening on :80");
  CHECK_FALSE(line->is_system);
  CHECK(line->service_id == 7);
  CHECK(line->timestamp_ms == 1000);
  CHECK(line->origin == cloud::LogOrigin{"c1", 1'000'000'123});
  CHECK_FALSE(cloud_log_line(container_event("no service id", 0, false)));
}

TEST_CASE("BALENA_LOGS_LEVEL: none sends nothing, err only stderr") {
  CHECK_FALSE(cloud_log_line(container_event("out", 7, false, ServiceLogsLevel::None)));
  CHECK_FALSE(cloud_log_line(container_event("err", 7, true, ServiceLogsLevel::None)));
  CHECK_FALSE(cloud_log_line(container_event("out", 7, false, ServiceLogsLevel::ErrorsOnly)));
  CHECK(cloud_log_line(container_event("err", 7, true, ServiceLogsLevel::ErrorsOnly)));
  CHECK(supervisor::logs_level_of("none") == ServiceLogsLevel::None);
  CHECK(supervisor::logs_level_of("ERR") == ServiceLogsLevel::ErrorsOnly);
  CHECK(supervisor::logs_level_of("error") == ServiceLogsLevel::ErrorsOnly);
  CHECK(supervisor::logs_level_of("info") == ServiceLogsLevel::All);
}

TEST_CASE("system lines: balena's text, failures as stderr, internal events and the stream's own not at all") {
  auto step = cloud_log_line(daemon_event(Level::Info, "step", "fetch done", "Downloaded image 'web:1'"));
  REQUIRE(step);
  CHECK(step->message == "Downloaded image 'web:1'");
  CHECK(step->is_system);
  CHECK_FALSE(step->is_stderr);
  auto failed = cloud_log_line(
      daemon_event(Level::Error, "step", "fetch failed", "Failed to download image 'web:1' due to 'no space'"));
  REQUIRE(failed);
  CHECK(failed->is_stderr);
  auto warning = cloud_log_line(daemon_event(Level::Warn, "report", "state report failed; backing off"));
  REQUIRE(warning);
  CHECK(warning->message == "state report failed; backing off");
  CHECK(warning->is_stderr);
  CHECK_FALSE(cloud_log_line(daemon_event(Level::Info, "plan", "3 steps")));
  CHECK_FALSE(cloud_log_line(daemon_event(Level::Debug, "step", "x", "Installing service 'a b'")));
  CHECK_FALSE(cloud_log_line(daemon_event(Level::Warn, "cloud-logs", "log stream refused")));
}

TEST_CASE("SUPERVISOR_LOG_CONTROL false turns the cloud logs off; absent or anything else keeps them") {
  CHECK(supervisor::log_control_on({}));
  CHECK(supervisor::log_control_on({{"SUPERVISOR_LOG_CONTROL", "true"}}));
  CHECK_FALSE(supervisor::log_control_on({{"SUPERVISOR_LOG_CONTROL", "false"}}));
  CHECK_FALSE(supervisor::log_control_on({{"BALENA_SUPERVISOR_LOG_CONTROL", "False"}}));
  CHECK_FALSE(supervisor::log_control_on({{"RESIN_SUPERVISOR_LOG_CONTROL", "0"}}));
}

TEST_CASE("the engine's RFC 3339 nanosecond times read as epoch nanoseconds") {
  CHECK(supervisor::parse_engine_time_ns("1970-01-01T00:00:01.000000002Z") == 1'000'000'002);
  CHECK(supervisor::parse_engine_time_ns("2026-11-25T09:00:00.123456789Z") == 1'795'597'200'123'456'789);
  CHECK(supervisor::parse_engine_time_ns("2026-11-25T09:00:00.5Z") == 1'795'597'200'500'000'000);
  CHECK(supervisor::parse_engine_time_ns("2026-11-25T09:00:00Z") == 1'795'597'200'000'000'000);
  CHECK_FALSE(supervisor::parse_engine_time_ns("listening on :80"));
  CHECK_FALSE(supervisor::parse_engine_time_ns("2026-11-25T09:00:00.1+01:00"));
}

TEST_CASE("the store's spill gives back what it took, in order, and counts what its bound drops") {
  TempStore temp(5);
  supervisor::StoreLogSpill spill(*temp.store);
  std::vector<cloud::LogLine> lines;
  cloud::LogLine system;
  system.message = "Failed to start service 'a b'";
  system.timestamp_ms = 1;
  system.is_system = true;
  system.is_stderr = true;
  lines.push_back(system);
  system.message = "Installing service 'a b'";
  system.is_stderr = false;
  lines.push_back(system);
  cloud::LogLine out;
  out.message = "hello";
  out.timestamp_ms = 3;
  out.service_id = 9;
  out.origin = cloud::LogOrigin{"c9", 3'000'000'001};
  lines.push_back(out);
  out.is_stderr = true;
  out.message = "oops";
  lines.push_back(out);
  auto dropped = spill.append(lines);
  REQUIRE(dropped.ok());
  CHECK(dropped.value() == 0);
  auto back = spill.oldest(10);
  REQUIRE(back.ok());
  REQUIRE(back->size() == 4);
  for (std::size_t i = 0; i < 4; ++i) CHECK(back.value()[i].second == lines[i]);
  dropped = spill.append({lines[0], lines[1], lines[2]});
  REQUIRE(dropped.ok());
  CHECK(dropped.value() == 2);
  REQUIRE(spill.remove_through(back.value()[3].first).ok());
  auto rest = spill.oldest(10);
  REQUIRE(rest.ok());
  CHECK(rest->size() == 3);
}

TEST_CASE("resume points are kept per container and only rewritten when lines were sent") {
  TempStore temp;
  auto& store = *temp.store;
  auto none = store.log_cursors();
  REQUIRE(none.ok());
  CHECK(none->empty());
  const auto before = store.total_changes();
  REQUIRE(store.set_log_cursors({}).ok());
  CHECK(store.total_changes() == before);
  REQUIRE(store.set_log_cursors({{"c1", 5}, {"c2", 7}}).ok());
  REQUIRE(store.set_log_cursors({{"c1", 9}}).ok());
  auto cursors = store.log_cursors();
  REQUIRE(cursors.ok());
  CHECK(cursors.value() == std::map<std::string, std::int64_t>{{"c1", 9}, {"c2", 7}});
  REQUIRE(store.remove_log_cursors({"c2"}).ok());
  CHECK(store.log_cursors().value() == std::map<std::string, std::int64_t>{{"c1", 9}});
}

TEST_CASE("the resume points of removed containers are dropped, the others kept") {
  TempStore temp;
  auto& store = *temp.store;
  REQUIRE(store.set_log_cursors({{"kept", 5}, {"removed-1", 7}, {"removed-2", 9}}).ok());
  supervisor::Logger log(Level::Error);
  // No endpoint: the stream cannot be set up, which this test does not need.
  supervisor::CloudLogs logs(log, store, supervisor::CloudLogsOptions{}, [] { return supervisor::CloudLogsSettings{}; });
  logs.start();
  REQUIRE(logs.resume_point("removed-1") == 7);
  logs.forget_removed_containers({"kept", "never-had-a-line"});
  CHECK(logs.resume_point("kept") == 5);
  CHECK_FALSE(logs.resume_point("removed-1").has_value());
  CHECK(store.log_cursors().value() == std::map<std::string, std::int64_t>{{"kept", 5}});
  const auto before = store.total_changes();
  logs.forget_removed_containers({"kept"});  // nothing to drop: nothing written
  CHECK(store.total_changes() == before);
  logs.stop();
}

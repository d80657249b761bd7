// The apply loop against a device simulated by the model engine.
#include <catch2/catch.hpp>
#include <fstream>
#include <iterator>
#include <thread>

#include "apply_loop.hpp"
#include "fake_clock.hpp"
#include "reconcile/intermediate.hpp"
#include "engine/exec/model_device.hpp"
#include "reconcile/json.hpp"

namespace {

using namespace std::chrono_literals;

reconcile::PlanRequest example() {
  std::ifstream in(std::string(RECONCILE_EXAMPLES_DIR) + "/device-update.json");
  auto parsed = reconcile::parse_plan_request_text(
      std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()));
  REQUIRE(parsed.ok());
  return std::move(parsed).value();
}

supervisor::ApplyOptions fast_options() {
  supervisor::ApplyOptions options;
  options.recheck = 50ms;
  options.backoff_initial = 10ms;
  options.backoff_max = 40ms;
  options.noop_wait = 1ms;
  return options;
}

// Runs the loop on its own thread for the duration of a test.
struct Running {
  supervisor::ApplyLoop& loop;
  std::thread thread;
  explicit Running(supervisor::ApplyLoop& l) : loop(l), thread([this] { loop.run(); }) {}
  ~Running() {
    loop.stop();
    thread.join();
  }
};

bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds limit = 10s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return done();
}

std::vector<std::string> running_services(const reconcile::State& state) {
  std::vector<std::string> out;
  for (const auto& app : state.apps) {
    for (const auto& s : app.services) {
      if (s.running) out.push_back(s.service_name + "@" + s.commit);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

// The example's device in the model engine, and a loop over it that is not
// running yet: a test sets the device up, then runs the loop.
struct ExampleLoop {
  reconcile::PlanRequest request = example();
  engine::ModelDevice device{{request.current, request.context}};
  supervisor::Logger log{supervisor::Level::Error};
  supervisor::ApplyLoop loop{device, device, log, fast_options()};
};

}  // namespace

TEST_CASE_METHOD(ExampleLoop, "the loop carries the device to its target and settles") {
  Running running(loop);
  loop.set_target(request.target);
  REQUIRE(wait_until([&] { return loop.status().settled; }));
  CHECK(running_services(device.world().current) == running_services(request.target));
  CHECK(loop.status().failures == 0);
  CHECK(device.world().context.locks_held.empty());
}

TEST_CASE_METHOD(ExampleLoop, "a failing step is retried with backoff until it succeeds") {
  device.fail_next("fetch", 3, "registry unreachable");
  std::vector<std::string> failures;
  log.subscribe([&](const supervisor::LogEvent& e) {
    if (e.event == "step-failed") failures.push_back(e.message);
  });
  Running running(loop);
  loop.set_target(request.target);
  REQUIRE(wait_until([&] { return loop.status().settled; }));
  CHECK_FALSE(failures.empty());
  CHECK(failures.front() == "registry unreachable");
  CHECK(running_services(device.world().current) == running_services(request.target));
}

TEST_CASE_METHOD(ExampleLoop, "a cancelled step is an interruption: no failure line for the log streams") {
  device.fail_next("fetch", 1, "cancelled before it started", engine::ErrorKind::Cancelled);
  std::vector<std::string> failures, system_lines, cancelled;
  log.subscribe([&](const supervisor::LogEvent& e) {
    if (e.event == "step-failed") failures.push_back(e.message);
    if (e.event == "step-cancelled") cancelled.push_back(e.message);
    if (!e.system_text.empty()) system_lines.push_back(e.system_text);
  });
  Running running(loop);
  loop.set_target(request.target);
  REQUIRE(wait_until([&] { return loop.status().settled; }));
  CHECK(failures.empty());
  CHECK(cancelled == std::vector<std::string>{"cancelled before it started"});
  for (const auto& line : system_lines) CHECK(line.find("Failed") == std::string::npos);
  CHECK(running_services(device.world().current) == running_services(request.target));
}

TEST_CASE_METHOD(ExampleLoop, "a new target replaces the old one, even in the middle of an update") {
  Running running(loop);
  loop.set_target(request.target);
  loop.set_target(reconcile::State{});  // then: remove everything
  REQUIRE(wait_until([&] { return loop.status().settled && device.world().current.apps.empty(); }));
  CHECK(device.world().current.apps.empty());
}

TEST_CASE_METHOD(ExampleLoop, "a new target is applying from the moment it is set, before the loop has taken it up") {
  // `balena push` (live) posts the target and asks /v2/state/status at once:
  // an "applied" left from the earlier target made livepush take the
  // container about to be replaced, and every later file sync then went to
  // a removed container. The balena supervisor marks the apply in progress
  // before it answers the POST.
  {
    Running running(loop);
    loop.set_target(request.target);
    REQUIRE(wait_until([&] { return loop.status().settled; }));
    REQUIRE(reconcile::app_state(supervisor::apply_progress(loop.status())) == reconcile::AppState::Applied);
  }  // the loop stopped: nothing takes the next target up, as in the moment after the POST
  loop.set_target(reconcile::State{});
  CHECK_FALSE(loop.status().settled);
  CHECK(reconcile::app_state(supervisor::apply_progress(loop.status())) == reconcile::AppState::Applying);
}

TEST_CASE("without a target the loop does nothing, and stop() ends it promptly") {
  const auto request = example();
  engine::ModelDevice device({request.current, request.context});
  supervisor::Logger log(supervisor::Level::Error);
  auto options = fast_options();
  options.recheck = 1h;
  supervisor::ApplyLoop loop(device, device, log, options);
  const auto started = std::chrono::steady_clock::now();
  {
    Running running(loop);
    loop.trigger("test");
    std::this_thread::sleep_for(50ms);
  }
  CHECK(std::chrono::steady_clock::now() - started < 5s);
  CHECK(device.steps_run() == 0);
}

namespace {

constexpr reconcile::AppId kApp = 1011165;  // the example's app

// A copy: device.world() is a copy too, gone at the end of the expression.
std::optional<reconcile::Service> find_service(const reconcile::State& state, const std::string& name) {
  for (const auto& app : state.apps) {
    for (const auto& service : app.services) {
      if (service.service_name == name) return service;
    }
  }
  return std::nullopt;
}

}  // namespace

TEST_CASE_METHOD(ExampleLoop, "an update over a user's lock waits; the same target forced goes through") {
  device.hold_user_lock(kApp);
  Running running(loop);
  loop.set_target(request.target);
  REQUIRE(wait_until([&] { return loop.status().failures > 0; }));
  CHECK(loop.status().last_error_kind == engine::ErrorKind::Locked);
  CHECK_FALSE(loop.status().settled);
  CHECK(running_services(device.world().current) == running_services(request.current));

  loop.set_target(request.target, engine::Force::Yes);
  REQUIRE(wait_until([&] { return loop.status().settled; }));
  CHECK(running_services(device.world().current) == running_services(request.target));
}

TEST_CASE_METHOD(ExampleLoop, "a forced update request reaches the planner while the loop backs off from a lock") {
  device.hold_user_lock(kApp);
  Running running(loop);
  loop.set_target(request.target);
  REQUIRE(wait_until([&] { return loop.status().failures > 0; }));
  loop.trigger("update requested through the API", engine::Force::Yes);
  REQUIRE(wait_until([&] { return loop.status().settled; }));
  CHECK(running_services(device.world().current) == running_services(request.target));
}

TEST_CASE_METHOD(ExampleLoop, "an intermediate target over a user's lock fails as Locked and changes nothing; forced it runs") {
  Running running(loop);
  loop.set_target(request.target);
  REQUIRE(wait_until([&] { return loop.status().settled; }));
  device.hold_user_lock(kApp);
  const auto now = reconcile::as_target(device.world().current);

  const auto refused = loop.apply_intermediate(reconcile::without_services(now, kApp, "api"), engine::Force::No);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().kind == engine::ErrorKind::Locked);
  CHECK(find_service(device.world().current, "api").has_value());

  const auto created_before = find_service(device.world().current, "api")->created_at;
  const auto forced = loop.apply_intermediate(reconcile::without_services(now, kApp, "api"), engine::Force::Yes);
  REQUIRE(forced.ok());
  // Then the loop returns to the device's own target: api comes back, a
  // new container (the model dates it by its clock).
  REQUIRE(wait_until([&] {
    const auto api = find_service(device.world().current, "api");
    return api.has_value() && api->created_at != created_before && loop.status().settled;
  }));
}

TEST_CASE_METHOD(ExampleLoop, "a service stopped through an override stays stopped; a start asked for starts it again") {
  Running running(loop);
  loop.set_target(request.target);
  REQUIRE(wait_until([&] { return loop.status().settled; }));

  loop.override_running(kApp, "db", false);
  const auto now = reconcile::as_target(device.world().current);
  REQUIRE(loop.apply_intermediate(reconcile::with_running(now, kApp, "db", false), engine::Force::No).ok());
  CHECK_FALSE(find_service(device.world().current, "db")->running);
  std::this_thread::sleep_for(300ms);  // several re-checks of the loop
  CHECK_FALSE(find_service(device.world().current, "db")->running);

  // As balena: a new target does not restart an exited container (§3.5);
  // the start-service intermediate target does.
  loop.override_running(kApp, "db", true);
  const auto stopped = reconcile::as_target(device.world().current);
  REQUIRE(loop.apply_intermediate(reconcile::with_running(stopped, kApp, "db", true), engine::Force::No).ok());
  CHECK(find_service(device.world().current, "db")->running);
}

TEST_CASE("backoff waits on the injected clock, not on the wall") {
  const auto request = example();
  engine::ModelDevice device({request.current, request.context});
  device.fail_next("fetch", 4, "registry unreachable", engine::ErrorKind::Unavailable);
  supervisor::Logger log(supervisor::Level::Error);
  supervisor::testing::FakeClock clock;
  auto options = fast_options();
  options.backoff_initial = 1h;
  options.backoff_max = 4h;
  supervisor::ApplyLoop loop(device, device, log, options, clock);
  Running running(loop);
  loop.set_target(request.target);
  REQUIRE(wait_until([&] { return loop.status().settled; }, 10s));
  // At least one failed run, so at least an hour of backoff: on the fake
  // clock, within the test's ten seconds of wall time.
  CHECK(clock.waited() >= 1h);
  CHECK(running_services(device.world().current) == running_services(request.target));
}

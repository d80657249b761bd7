// The event stream against the real engine.
#include <catch2/catch.hpp>
#include <chrono>
#include <mutex>
#include <thread>

#include "support.hpp"

using namespace engine::docker;
using testenv::client;

namespace {

double unix_now() {
  using namespace std::chrono;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}

}  // namespace

TEST_CASE("the event stream delivers a container's start and ends when cancelled") {
  const std::string id = testenv::create_busybox(testenv::unique_name("events"));
  testenv::Cleanup cleanup([&] { testenv::remove_container_quietly(id); });

  // Subscribe from a moment before the start: the engine replays it, so the
  // test does not race the subscription.
  const double before = unix_now() - 1.0;
  REQUIRE(client().start_container(id).ok());

  CancelFlag cancel{false};
  std::mutex mutex;
  std::vector<Event> seen;
  Status result;
  EventOptions options;
  options.filters = {{"type", {"container"}}, {"container", {id}}};
  options.since = before;
  std::thread stream([&] {
    result = client().stream_events(options, [&](const Event& event) {
      std::lock_guard<std::mutex> lock(mutex);
      seen.push_back(event);
      if (event.action == "start") cancel = true;
    }, &cancel);
  });
  // Guard: never wait more than 20 s for the start.
  for (int i = 0; i < 200 && !cancel; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  cancel = true;
  stream.join();

  REQUIRE(result.ok());
  std::lock_guard<std::mutex> lock(mutex);
  bool started = false;
  for (const auto& event : seen) {
    if (event.action == "start") {
      started = true;
      CHECK(event.type == "container");
      CHECK(event.actor_id == id);
      CHECK(event.attributes.at(testenv::env().object_label) == testenv::env().env_id);
      CHECK(event.time_nano > 0);
    }
  }
  CHECK(started);
}

TEST_CASE("an idle event stream stops within about a second of its cancel") {
  CancelFlag cancel{false};
  EventOptions options;
  options.filters = {{"label", {"io.reconcile.test.nobody=" + testenv::unique_name("idle")}}};
  Status result;
  const auto start = std::chrono::steady_clock::now();
  std::thread stream([&] { result = client().stream_events(options, nullptr, &cancel); });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  cancel = true;
  stream.join();
  const auto elapsed = std::chrono::steady_clock::now() - start;
  CHECK(result.ok());
  CHECK(elapsed < std::chrono::milliseconds(2500));
}

TEST_CASE("an event stream with a maximum duration ends by itself") {
  EventOptions options;
  options.filters = {{"label", {"io.reconcile.test.nobody=" + testenv::unique_name("short")}}};
  options.max_duration = std::chrono::milliseconds(500);
  const auto start = std::chrono::steady_clock::now();
  const auto result = client().stream_events(options, nullptr, nullptr);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  CHECK(result.ok());
  CHECK(elapsed >= std::chrono::milliseconds(400));
  CHECK(elapsed < std::chrono::milliseconds(3000));
}

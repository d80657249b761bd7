#include "engine_watch.hpp"

#include <fmt/format.h>

namespace supervisor {

EngineWatch::EngineWatch(const engine::docker::Client& docker, ApplyLoop& loop, Logger& log, Clock& clock)
    : docker_(docker), loop_(loop), log_(log), stopper_(clock), container_logs_(docker, log) {}

EngineWatch::~EngineWatch() { stop(); }

void EngineWatch::start() {
  events_thread_ = std::thread([this] { watch_events(); });
  logs_thread_ = std::thread([this] { follow_logs(); });
}

void EngineWatch::stop() {
  stopper_.stop();
  cancel_events_ = true;
  if (events_thread_.joinable()) events_thread_.join();
  if (logs_thread_.joinable()) logs_thread_.join();
  container_logs_.stop();
}

void EngineWatch::watch_events() {
  // The periodic re-check of the apply loop covers the time the stream is down.
  engine::docker::EventOptions options;
  options.filters = {{"type", {"container"}}, {"label", {"io.balena.supervised"}}, {"event", {"die", "destroy"}}};
  auto delay = std::chrono::milliseconds(1'000);
  while (!stopper_.stopped()) {
    const auto status = docker_.stream_events(
        options,
        [this](const engine::docker::Event& event) {
          auto name = event.attributes.find("name");
          loop_.trigger(fmt::format("container {} {}", name == event.attributes.end() ? event.actor_id : name->second,
                                    event.action));
        },
        &cancel_events_);
    if (stopper_.stopped()) break;
    if (!status.ok()) log_.warn("events", "the engine's event stream failed", {{"error", status.error().describe()}});
    if (stopper_.wait_for(delay)) break;
    delay = std::min(delay * 2, std::chrono::milliseconds(30'000));
  }
}

void EngineWatch::follow_logs() {
  // Containers come and go with every update: look for new ones often.
  do {
    container_logs_.sync();
  } while (!stopper_.wait_for(std::chrono::milliseconds(2'000)));
}

}  // namespace supervisor

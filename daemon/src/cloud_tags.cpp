#include "cloud_tags.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "engine/cloud/state_report.hpp"

namespace supervisor {
namespace {

namespace cloud = engine::cloud;

engine::Error store_error(const engine::store::Error& error) {
  return engine::Error{engine::ErrorKind::Store, error.describe()};
}

std::string keys_of(const cloud::TagValues& values) {
  std::string out;
  for (const auto& [key, value] : values) out += (out.empty() ? "" : ",") + key;
  return out;
}

}  // namespace

engine::Result<cloud::TagValues> TagStore::values(const char* key) {
  auto stored = store_.config(key);
  if (!stored) return store_error(stored.error());
  cloud::TagValues out;
  if (!stored.value()) return out;
  const auto json = nlohmann::json::parse(*stored.value(), nullptr, false);
  if (!json.is_object()) {
    return engine::Error{engine::ErrorKind::Store, fmt::format("stored {} is not a JSON object", key)};
  }
  for (const auto& [name, value] : json.items()) {
    if (value.is_string()) out[name] = value.get<std::string>();
  }
  return out;
}

engine::Status TagStore::merge(const char* key, const cloud::TagValues& values) {
  const std::lock_guard<std::mutex> lock(mutex_);
  auto current = this->values(key);
  if (!current) return current.error();
  cloud::TagValues merged = std::move(current).value();
  for (const auto& [name, value] : values) merged[name] = value;
  nlohmann::json json = nlohmann::json::object();
  for (const auto& [name, value] : merged) json[name] = value;
  if (auto saved = store_.set_config(key, json.dump()); !saved) return store_error(saved.error());
  return engine::Status::success();
}

engine::Result<cloud::TagValues> TagStore::target() { return values("targetTags"); }
engine::Result<cloud::TagValues> TagStore::reported() { return values("reportedTags"); }
engine::Status TagStore::add_target(const cloud::TagValues& values) { return merge("targetTags", values); }
engine::Status TagStore::mark_reported(const cloud::TagValues& values) { return merge("reportedTags", values); }

TagSender::TagSender(engine::store::Store& store, Logger& log, Clock& clock) : tags_(store), log_(log), clock_(clock) {}

TagSender::~TagSender() { stop(); }

void TagSender::start(cloud::HttpClient client, TagCredentials credentials,
                      std::function<std::chrono::milliseconds()> poll_interval) {
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    if (client_ || stopping_) return;
    client_.emplace(std::move(client));
    credentials_ = std::move(credentials);
    poll_interval_ = std::move(poll_interval);
  }
  thread_ = std::thread([this] { run(); });
}

void TagSender::stop() {
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  cancel_ = true;
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void TagSender::wake() {
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    woken_ = true;
  }
  wake_.notify_all();
}

engine::Result<std::vector<api::DeviceTag>> TagSender::read() {
  cloud::HttpClient* client = nullptr;
  TagCredentials credentials;
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    if (client_) client = &*client_;
    credentials = credentials_;
  }
  if (client == nullptr) {
    return engine::Error{engine::ErrorKind::Unavailable, "the device is not provisioned yet: no cloud to ask"};
  }
  // The client serialises its calls; it lives until this object does.
  auto read = cloud::read_device_tags(*client, credentials.device_api_key, credentials.device_id, &cancel_);
  if (!read) return cloud::to_engine_error(read.error());
  std::vector<api::DeviceTag> tags;
  for (const auto& tag : read.value()) tags.push_back({tag.id, tag.tag_key, tag.value});
  return tags;
}

bool TagSender::wait_until(Clock::TimePoint deadline, bool on_wake) {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stopping_ && !(on_wake && woken_) && clock_.now() < deadline) clock_.wait_until(wake_, lock, deadline);
  if (on_wake) woken_ = false;
  return stopping_;
}

void TagSender::run() {
  std::optional<Clock::TimePoint> last_send;
  int retries = 0;
  constexpr auto kForever = std::chrono::hours(24 * 365);
  while (true) {
    {
      const std::lock_guard<std::mutex> lock(mutex_);
      if (stopping_) return;
      woken_ = false;  // what is stored now is read below
    }
    auto target = tags_.target();
    auto reported = tags_.reported();
    if (!target || !reported) {
      log_.error("tags", "cannot read the stored tags; trying again later",
                 {{"error", (!target ? target.error() : reported.error()).describe()}});
      if (wait_until(clock_.now() + std::chrono::seconds(30), true)) return;
      continue;
    }
    const cloud::TagValues pending = cloud::tags_to_send(target.value(), reported.value());
    if (pending.empty()) {
      retries = 0;  // the next PATCH starts a new cycle
      if (wait_until(clock_.now() + kForever, true)) return;
      continue;
    }
    // §7: at most one PATCH per 10 s.
    if (last_send && clock_.now() - *last_send < cloud::kTagsMinInterval) {
      if (wait_until(*last_send + cloud::kTagsMinInterval, false)) return;
      continue;
    }
    last_send = clock_.now();
    const auto sent = cloud::send_device_tags(*client_, credentials_.device_api_key, credentials_.uuid, pending, &cancel_);
    if (sent.ok()) {
      retries = 0;
      if (auto marked = tags_.mark_reported(pending); !marked.ok()) {
        log_.error("tags", "the cloud took the tags but they cannot be recorded; they are sent again",
                   {{"error", marked.error().describe()}});
      } else {
        log_.info("tags", "device tags reported", {{"tags", keys_of(pending)}});
      }
      continue;
    }
    const auto delay = cloud::report_retry_delay(retries++, poll_interval_(), sent.error().retry_after);
    log_.warn("tags", "device tags not accepted; backing off",
              {{"error", sent.error().describe()}, {"delay_ms", fmt::to_string(delay.count())}});
    if (wait_until(clock_.now() + delay, false)) return;
  }
}

}  // namespace supervisor

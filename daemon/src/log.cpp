#include "log.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>

#include "reconcile/json.hpp"

namespace supervisor {
namespace {

bool needs_quotes(std::string_view value) {
  if (value.empty()) return true;
  for (char c : value) {
    if (c == ' ' || c == '"' || c == '=' || c == '\\' || static_cast<unsigned char>(c) < 0x20) return true;
  }
  return false;
}

void append_value(std::string& out, std::string_view value) {
  if (!needs_quotes(value)) {
    out += value;
    return;
  }
  out += '"';
  for (char c : value) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += ' ';
    } else {
      out += c;
    }
  }
  out += '"';
}

}  // namespace

const char* to_string(Level level) {
  switch (level) {
    case Level::Debug: return "debug";
    case Level::Info: return "info";
    case Level::Warn: return "warn";
    case Level::Error: return "error";
  }
  return "info";
}

std::optional<Level> parse_level(std::string_view text) {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower == "debug") return Level::Debug;
  if (lower == "info") return Level::Info;
  if (lower == "warn" || lower == "warning") return Level::Warn;
  if (lower == "error") return Level::Error;
  return std::nullopt;
}

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Logger::Logger(Level threshold, Sink sink) : threshold_(threshold), sink_(std::move(sink)) {
  // One write a line, so that lines from several threads do not interleave.
  if (!sink_) sink_ = [](std::string_view line) { fmt::print(stderr, "{}\n", line); };
}

void Logger::set_threshold(Level threshold) {
  const std::lock_guard<std::mutex> lock(mutex_);
  threshold_ = threshold;
}

void Logger::set_override(std::optional<Level> threshold) {
  const std::lock_guard<std::mutex> lock(mutex_);
  override_ = threshold;
}

Level Logger::threshold() {
  const std::lock_guard<std::mutex> lock(mutex_);
  return override_.value_or(threshold_);
}

std::string Logger::format(const LogEvent& event) {
  std::string line =
      fmt::format("{} {} {}", reconcile::format_time_ms(event.timestamp_ms), to_string(event.level), event.event);
  for (const auto& [key, value] : event.fields) {
    line += fmt::format(" {}=", key);
    append_value(line, value);
  }
  if (!event.message.empty()) {
    line += " msg=";
    append_value(line, event.message);
  }
  return line;
}

void Logger::log(Level level, std::string_view event, std::string message, std::initializer_list<Field> fields) {
  system(level, event, std::move(message), std::string(), fields);
}

void Logger::system(Level level, std::string_view event, std::string message, std::string system_text,
                    std::initializer_list<Field> fields) {
  LogEvent entry;
  entry.timestamp_ms = now_ms();
  entry.level = level;
  entry.event = event;
  entry.message = std::move(message);
  entry.system_text = std::move(system_text);
  for (const auto& [key, value] : fields) entry.fields.emplace_back(key, value);
  emit(std::move(entry));
}

void Logger::emit(LogEvent entry) {
  const std::lock_guard<std::mutex> lock(mutex_);
  if (entry.level >= override_.value_or(threshold_)) sink_(format(entry));
  for (const auto& [id, subscriber] : subscribers_) subscriber(entry);
}

void Logger::container_line(ContainerLine line) {
  LogEvent entry;
  entry.timestamp_ms = line.engine_time_ns > 0 ? line.engine_time_ns / 1'000'000 : now_ms();
  entry.event = "container";
  entry.message = std::move(line.message);
  entry.from_container = true;
  entry.is_stderr = line.is_stderr;
  entry.service_name = std::move(line.service_name);
  entry.service_id = line.service_id;
  entry.container_id = std::move(line.container_id);
  entry.engine_time_ns = line.engine_time_ns;
  entry.logs_level = line.logs_level;
  const std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& [id, subscriber] : subscribers_) subscriber(entry);
}

std::uint64_t Logger::subscribe(Subscriber subscriber) {
  const std::lock_guard<std::mutex> lock(mutex_);
  subscribers_.emplace_back(next_id_, std::move(subscriber));
  return next_id_++;
}

void Logger::unsubscribe(std::uint64_t id) {
  const std::lock_guard<std::mutex> lock(mutex_);
  std::erase_if(subscribers_, [id](const auto& entry) { return entry.first == id; });
}

}  // namespace supervisor

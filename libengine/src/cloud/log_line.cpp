#include "engine/cloud/log_line.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

namespace engine::cloud {
namespace {

// Bytes of the UTF-8 sequence a lead byte starts (1 for stray bytes, so
// that broken input still advances).
std::size_t sequence_length(unsigned char lead) {
  if (lead >= 0xF0 && lead < 0xF8) return 4;
  if (lead >= 0xE0) return lead < 0xF0 ? 3 : 1;
  if (lead >= 0xC0) return 2;
  return 1;
}

std::string json_string(std::string_view text) {
  // Invalid UTF-8 (a service printing binary) is replaced, not refused: the
  // line still reaches the dashboard.
  return nlohmann::json(std::string(text)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

std::string truncate_log_message(std::string_view message) {
  constexpr std::size_t kKept = kLogMessageLimit - 5;  // room for "[...]"
  std::size_t at = 0;
  std::size_t characters = 0;
  std::size_t cut = 0;
  while (at < message.size()) {
    if (characters == kKept) cut = at;
    if (characters == kLogMessageLimit) return fmt::format("{}[...]", message.substr(0, cut));
    at += sequence_length(static_cast<unsigned char>(message[at]));
    ++characters;
  }
  return std::string(message);
}

std::string log_line_json(const LogLine& line) {
  const std::string message = json_string(truncate_log_message(line.message));
  if (line.is_system) {
    if (line.is_stderr) {
      return fmt::format(R"({{"message":{},"timestamp":{},"isSystem":true,"isStdErr":true}})"
                         "\n",
                         message, line.timestamp_ms);
    }
    return fmt::format(R"({{"message":{},"isSystem":true,"timestamp":{}}})"
                       "\n",
                       message, line.timestamp_ms);
  }
  return fmt::format(R"({{"message":{},"isStdErr":{},"timestamp":{},"serviceId":{}}})"
                     "\n",
                     message, line.is_stderr, line.timestamp_ms, line.service_id.value_or(0));
}

LogLine suppressed_line(std::int64_t count, std::int64_t timestamp_ms) {
  LogLine line;
  line.message = fmt::format("Warning: Suppressed {} message(s) due to high load", count);
  line.timestamp_ms = timestamp_ms;
  line.is_system = true;
  line.is_stderr = true;
  return line;
}

}  // namespace engine::cloud

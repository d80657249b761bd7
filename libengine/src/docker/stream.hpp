// Helpers for the engine's streamed answers (pull progress, events): both are
// JSON documents separated by newlines, arriving in arbitrary chunks.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "engine/docker/types.hpp"

namespace engine::docker::detail {

// Collects chunks and hands out whole lines (without "\r\n" or "\n").
class LineSplitter {
 public:
  // Appends `chunk`, then calls on_line(std::string_view) for each completed
  // non-empty line.
  template <class OnLine>
  void feed(std::string_view chunk, OnLine&& on_line) {
    pending_.append(chunk);
    size_t start = 0;
    for (size_t end = pending_.find('\n'); end != std::string::npos;
         end = pending_.find('\n', start)) {
      std::string_view line(pending_.data() + start, end - start);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (!line.empty()) on_line(line);
      start = end + 1;
    }
    pending_.erase(0, start);
  }
  // What is left after the stream ended (a last line without newline).
  [[nodiscard]] const std::string& rest() const { return pending_; }

 private:
  std::string pending_;
};

// Turns pull messages into PullProgress with an overall percentage.
class PullTracker {
 public:
  // Records one message's status for its layer and fills in `percent`.
  void update(PullProgress& progress);

 private:
  std::map<std::string, double> layer_fraction_;  // layer id -> 0..1 downloaded
};

}  // namespace engine::docker::detail

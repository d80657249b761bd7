// The cloud log stream (cloud-protocol §6.1, §6.3): one long-lived
//   POST {logsEndpoint|apiEndpoint}/device/v2/<uuid>/log-stream
// with a chunked gzip NDJSON body, fed from a LogQueue on its own thread.
//
// Lifecycle, as balena's: opened when a line waits; the headers are flushed
// at once, then a grace period (5 s) in which any answer is a failure (the
// server only answers early to refuse: 401, 415, 503); then the queued lines
// go through gzip with a sync flush at most every 100 ms; the body ends after
// 60 s without lines (the server answers 201) and the next line opens a new
// request. A setup that fails waits min(5 s x 2^failures, 300 s) from the
// previous attempt; a good setup resets the count. An answer, a reset or an
// error mid-stream ends the request; the next line opens another.
//
// A line leaves the queue once its compressed bytes, sync-flushed, were
// handed to the connection: `on_sent` gets every such batch, in order
// (the daemon records there how far each container was sent).
//
// The scheme of the endpoint is used as given (balena v19 always uses
// HTTPS, §12.2; plain HTTP serves the tests).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/cloud/error.hpp"
#include "engine/cloud/log_queue.hpp"

namespace engine::cloud {

struct LogStreamOptions {
  std::string base_url;  // scheme://host[:port]; a path is dropped
  std::optional<std::string> extra_ca_pem;
  std::string uuid;
  std::string device_api_key;
  std::chrono::milliseconds connect_timeout{30000};
  std::chrono::milliseconds grace{5000};
  std::chrono::milliseconds flush_interval{100};
  std::chrono::milliseconds idle_close{60000};
  std::chrono::milliseconds backoff_base{5000};
  std::chrono::milliseconds backoff_max{300000};
  std::size_t batch_bytes = 64 * 1024;  // NDJSON taken from the queue per flush
};

// min(base x 2^failures, max): the wait before the next setup (§6.3 step 5).
[[nodiscard]] std::chrono::milliseconds log_stream_backoff(int failures, std::chrono::milliseconds base,
                                                           std::chrono::milliseconds max);

enum class LogStreamEventKind {
  Opened,       // the grace period passed: lines are being sent
  SetupFailed,  // refused or unreachable before or during the grace period; `delay` is the backoff
  Broken,       // the request ended mid-stream (an answer, a reset): reopened on the next line
  Closed,       // idle: the body ended and the cloud answered 201
};

struct LogStreamEvent {
  LogStreamEventKind kind = LogStreamEventKind::Opened;
  std::optional<Error> error;
  std::chrono::milliseconds delay{0};
};

struct LogStreamStats {
  std::uint64_t requests = 0;
  std::uint64_t lines_sent = 0;
  std::uint64_t raw_bytes = 0;   // NDJSON handed to gzip
  std::uint64_t wire_bytes = 0;  // gzip bytes handed to the connection (before chunk framing)
};

class LogStream {
 public:
  using SentFn = std::function<void(const std::vector<QueuedLine>& sent)>;
  using EventFn = std::function<void(const LogStreamEvent& event)>;

  // Config error when the base URL is not http(s)://host[:port].
  [[nodiscard]] static Result<std::unique_ptr<LogStream>> create(LogStreamOptions options, LogQueue& queue,
                                                                 SentFn on_sent, EventFn on_event);
  ~LogStream();
  LogStream(const LogStream&) = delete;
  LogStream& operator=(const LogStream&) = delete;

  void start();
  // Ends the request in flight (without waiting for the idle close) and
  // joins the thread, within about a second.
  void stop();
  [[nodiscard]] LogStreamStats stats() const;

 private:
  struct Impl;
  explicit LogStream(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace engine::cloud

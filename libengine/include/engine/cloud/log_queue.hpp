// The lines waiting for the cloud log stream (cloud-protocol §6.4, and
// better): a memory buffer of 256 KiB in two halves, as balena's; when a
// spill is set (persistentLogging), the older half goes to disk when the
// memory is half full, and the disk's lines are sent first when the stream
// is back. Beyond every bound lines are counted, and one line
// "Warning: Suppressed <n> message(s) due to high load" says so once the
// memory has room again.
//
// Many producers (push, which never touches the disk), one consumer (the
// stream's thread: maintain, front, pop). Lines leave only when pop() says
// they were sent: a connection that fails keeps them.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engine/cloud/log_line.hpp"
#include "engine/common/error.hpp"

namespace engine::cloud {

// A line with its NDJSON text (what it costs in the buffer and on the wire
// before gzip). `spill_seq` > 0: read back from the spill.
struct QueuedLine {
  LogLine line;
  std::string json;
  std::int64_t spill_seq = 0;
};

// The disk side of the queue: the store's bounded log table in the daemon.
class LogSpill {
 public:
  virtual ~LogSpill() = default;
  // Appends in order (one transaction). Returns how many of the oldest
  // spilled lines the disk's own bound dropped to make room.
  [[nodiscard]] virtual engine::Result<std::int64_t> append(const std::vector<LogLine>& lines) = 0;
  // The oldest spilled lines, at most `limit`, with their sequence numbers.
  [[nodiscard]] virtual engine::Result<std::vector<std::pair<std::int64_t, LogLine>>> oldest(std::size_t limit) = 0;
  // Forgets every spilled line up to and including `seq`.
  [[nodiscard]] virtual engine::Status remove_through(std::int64_t seq) = 0;
};

struct LogQueueOptions {
  std::size_t memory_bytes = 256 * 1024;  // NDJSON bytes held in memory at most
};

struct LogQueueStats {
  std::size_t memory_bytes = 0;
  std::size_t memory_lines = 0;
  std::int64_t suppressed_total = 0;  // lines dropped since start
  std::int64_t spilled_total = 0;     // lines moved to the spill since start
};

class LogQueue {
 public:
  using Clock = std::function<std::int64_t()>;  // wall time, ms since the epoch
  explicit LogQueue(LogQueueOptions options = {}, Clock now_ms = nullptr);
  LogQueue(const LogQueue&) = delete;
  LogQueue& operator=(const LogQueue&) = delete;

  // Producers. A line that does not fit is counted, not kept.
  void push(LogLine line);
  // For a producer that can hold its input meanwhile (a container's output
  // stays with the engine while its follower waits): with a spill set and
  // the memory three quarters full, waits until maintain() made room, or
  // `deadline`. Without it a burst would fill the memory while the spill's
  // synced write runs, and lose its excess although the disk has room.
  // Returns at once without a spill, after a failed spill, and after a
  // wait that timed out (a consumer that does not maintain must not slow
  // every line), until maintain() next succeeds.
  void wait_for_room(std::chrono::steady_clock::time_point deadline);
  // Set (persistentLogging on) or cleared; the spill outlives its use here.
  // Lines already on disk are sent first whether or not the spill is still set.
  void set_spill(LogSpill* spill);
  // Called after each push, for a consumer that waits elsewhere (curl).
  void set_on_push(std::function<void()> on_push);

  // ---- the consumer's thread only ----
  // Moves the older memory half (not the lines front() handed out) to the
  // spill when the memory is half full and a spill is set. A spill that
  // fails keeps the lines in memory; the error is returned for the log.
  [[nodiscard]] std::optional<engine::Error> maintain();
  // The oldest lines not sent yet, up to `max_bytes` of NDJSON (at least
  // one line): spilled ones first, never both kinds in one batch.
  [[nodiscard]] std::vector<QueuedLine> front(std::size_t max_bytes);
  // The lines of the last front() were sent: they leave the queue.
  [[nodiscard]] std::optional<engine::Error> pop(const std::vector<QueuedLine>& sent);
  // The lines of the last front() were not sent (the connection failed):
  // they stay, first in line.
  void release();
  // Whether anything waits (memory, or the spill as far as known).
  [[nodiscard]] bool has_lines();
  // Waits until `deadline`, wake(), or: a line waits (Lines), or the
  // memory needs maintain() (Maintenance: a spill is set and the memory is
  // half full).
  enum class WaitFor { Lines, Maintenance };
  void wait(std::chrono::steady_clock::time_point deadline, WaitFor what);
  void wake();

  [[nodiscard]] LogQueueStats stats();

 private:
  void add_suppressed_line_if_room();  // mutex held

  LogQueueOptions options_;
  Clock now_ms_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<QueuedLine> memory_;
  std::size_t memory_bytes_ = 0;
  std::size_t in_flight_ = 0;  // memory lines handed out by front()
  std::int64_t suppressed_ = 0;
  bool woken_ = false;
  LogSpill* spill_ = nullptr;
  LogSpill* spill_read_ = nullptr;  // where spilled lines wait (kept when the spill is cleared)
  bool spill_may_hold_lines_ = false;
  bool spill_stalled_ = false;  // the last spill failed, or a wait_for_room() timed out
  std::function<void()> on_push_;
  LogQueueStats totals_;
};

}  // namespace engine::cloud

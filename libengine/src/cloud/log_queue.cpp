#include "engine/cloud/log_queue.hpp"

#include <algorithm>
#include <cstddef>

namespace engine::cloud {
namespace {

std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

LogQueue::LogQueue(LogQueueOptions options, Clock now_ms)
    : options_(options), now_ms_(now_ms ? std::move(now_ms) : Clock(wall_ms)) {}

void LogQueue::push(LogLine line) {
  std::function<void()> notify;
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    std::string json = log_line_json(line);
    if (memory_bytes_ + json.size() > options_.memory_bytes) {
      ++suppressed_;
      ++totals_.suppressed_total;
      return;
    }
    memory_bytes_ += json.size();
    memory_.push_back(QueuedLine{std::move(line), std::move(json), 0});
    notify = on_push_;
  }
  changed_.notify_all();
  if (notify) notify();
}

void LogQueue::wait_for_room(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock<std::mutex> lock(mutex_);
  const auto has_room = [this] {
    return spill_ == nullptr || spill_stalled_ || memory_bytes_ < options_.memory_bytes / 4 * 3;
  };
  if (has_room()) return;
  // The consumer may be waiting for a line or for maintenance: it is due.
  changed_.notify_all();
  if (!changed_.wait_until(lock, deadline, has_room)) spill_stalled_ = true;
}

void LogQueue::set_spill(LogSpill* spill) {
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    spill_ = spill;
    spill_stalled_ = false;
    if (spill != nullptr) {
      spill_read_ = spill;
      spill_may_hold_lines_ = true;  // lines of an earlier run may wait there
    }
  }
  changed_.notify_all();  // producers waiting for room: cleared, there is no wait
}

void LogQueue::set_on_push(std::function<void()> on_push) {
  const std::lock_guard<std::mutex> lock(mutex_);
  on_push_ = std::move(on_push);
}

std::optional<engine::Error> LogQueue::maintain() {
  std::vector<LogLine> older;
  LogSpill* spill = nullptr;
  std::size_t moved_bytes = 0;
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    if (spill_ == nullptr || memory_bytes_ < options_.memory_bytes / 2) return std::nullopt;
    spill = spill_;
    // The older half, after the lines in flight (those are sent already,
    // or soon will be: spilling them would send them twice).
    for (std::size_t i = in_flight_; i < memory_.size() && moved_bytes < options_.memory_bytes / 2; ++i) {
      older.push_back(memory_[i].line);
      moved_bytes += memory_[i].json.size();
    }
  }
  if (older.empty()) return std::nullopt;
  // The disk write happens without the lock: producers keep pushing (to
  // the newer end) meanwhile.
  auto appended = spill->append(older);
  std::unique_lock<std::mutex> lock(mutex_);
  if (!appended.ok()) {
    spill_stalled_ = true;
    lock.unlock();
    changed_.notify_all();  // producers waiting for room: there will be none
    return appended.error();
  }
  const auto first = memory_.begin() + static_cast<std::ptrdiff_t>(in_flight_);
  memory_.erase(first, first + static_cast<std::ptrdiff_t>(older.size()));
  memory_bytes_ -= moved_bytes;
  totals_.spilled_total += static_cast<std::int64_t>(older.size());
  suppressed_ += appended.value();
  totals_.suppressed_total += appended.value();
  spill_read_ = spill;
  spill_may_hold_lines_ = true;
  spill_stalled_ = false;
  lock.unlock();
  changed_.notify_all();  // room for the producers waiting
  return std::nullopt;
}

std::vector<QueuedLine> LogQueue::front(std::size_t max_bytes) {
  std::vector<QueuedLine> batch;
  LogSpill* spill = nullptr;
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    if (spill_may_hold_lines_) spill = spill_read_;
  }
  if (spill != nullptr) {
    // Spilled lines are older than any in memory: they go first.
    auto oldest = spill->oldest(std::max<std::size_t>(1, max_bytes / 128));
    if (oldest.ok() && !oldest->empty()) {
      std::size_t bytes = 0;
      for (auto& [seq, line] : oldest.value()) {
        std::string json = log_line_json(line);
        if (!batch.empty() && bytes + json.size() > max_bytes) break;
        bytes += json.size();
        batch.push_back(QueuedLine{std::move(line), std::move(json), seq});
      }
      return batch;
    }
    if (oldest.ok()) {
      const std::lock_guard<std::mutex> lock(mutex_);
      if (spill_read_ == spill) spill_may_hold_lines_ = false;
    }
    // A spill that cannot be read is skipped: memory lines still go.
  }
  const std::lock_guard<std::mutex> lock(mutex_);
  add_suppressed_line_if_room();
  std::size_t bytes = 0;
  for (const QueuedLine& queued : memory_) {
    if (!batch.empty() && bytes + queued.json.size() > max_bytes) break;
    bytes += queued.json.size();
    batch.push_back(queued);
  }
  in_flight_ = batch.size();
  return batch;
}

std::optional<engine::Error> LogQueue::pop(const std::vector<QueuedLine>& sent) {
  if (sent.empty()) return std::nullopt;
  if (sent.front().spill_seq > 0) {
    LogSpill* spill = nullptr;
    {
      const std::lock_guard<std::mutex> lock(mutex_);
      spill = spill_read_;
    }
    if (spill == nullptr) return std::nullopt;
    auto removed = spill->remove_through(sent.back().spill_seq);
    if (!removed.ok()) return removed.error();
    const std::lock_guard<std::mutex> lock(mutex_);
    add_suppressed_line_if_room();
    return std::nullopt;
  }
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    const std::size_t count = std::min(sent.size(), memory_.size());
    for (std::size_t i = 0; i < count; ++i) memory_bytes_ -= memory_[i].json.size();
    memory_.erase(memory_.begin(), memory_.begin() + static_cast<std::ptrdiff_t>(count));
    in_flight_ = 0;
    add_suppressed_line_if_room();
  }
  changed_.notify_all();  // room for the producers waiting
  return std::nullopt;
}

void LogQueue::add_suppressed_line_if_room() {
  // balena writes the warning when its buffer drains; here once the
  // memory is below half full again, so a steady flood still says so.
  if (suppressed_ == 0 || memory_bytes_ >= options_.memory_bytes / 2) return;
  LogLine warning = suppressed_line(suppressed_, now_ms_());
  std::string json = log_line_json(warning);
  memory_bytes_ += json.size();
  memory_.push_back(QueuedLine{std::move(warning), std::move(json), 0});
  suppressed_ = 0;
}

void LogQueue::release() {
  const std::lock_guard<std::mutex> lock(mutex_);
  in_flight_ = 0;
}

bool LogQueue::has_lines() {
  const std::lock_guard<std::mutex> lock(mutex_);
  return !memory_.empty() || (spill_may_hold_lines_ && spill_read_ != nullptr) || suppressed_ > 0;
}

void LogQueue::wait(std::chrono::steady_clock::time_point deadline, WaitFor what) {
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait_until(lock, deadline, [&] {
    if (woken_) return true;
    if (what == WaitFor::Lines) return !memory_.empty() || (spill_may_hold_lines_ && spill_read_ != nullptr);
    return spill_ != nullptr && memory_bytes_ >= options_.memory_bytes / 2;
  });
  woken_ = false;
}

void LogQueue::wake() {
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    woken_ = true;
  }
  changed_.notify_all();
}

LogQueueStats LogQueue::stats() {
  const std::lock_guard<std::mutex> lock(mutex_);
  LogQueueStats stats = totals_;
  stats.memory_bytes = memory_bytes_;
  stats.memory_lines = memory_.size();
  return stats;
}

}  // namespace engine::cloud

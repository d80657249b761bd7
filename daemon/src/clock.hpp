// The clock the daemon's loops wait on, injected so tests can run a backoff
// of minutes in microseconds. Waits are on condition variables: whatever
// wakes the loop (a new target, stop()) ends the wait at once.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace supervisor {

class Clock {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  virtual ~Clock() = default;
  [[nodiscard]] virtual TimePoint now() const = 0;
  // Milliseconds since the Unix epoch, for the times the API reports.
  [[nodiscard]] virtual std::int64_t wall_ms() const = 0;
  // Waits for a notification of `wake` or `deadline`, whichever comes first
  // (spurious wake-ups allowed: callers re-check their condition).
  virtual void wait_until(std::condition_variable& wake, std::unique_lock<std::mutex>& lock, TimePoint deadline) = 0;
};

class SteadyClock final : public Clock {
 public:
  [[nodiscard]] TimePoint now() const override { return std::chrono::steady_clock::now(); }
  [[nodiscard]] std::int64_t wall_ms() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  void wait_until(std::condition_variable& wake, std::unique_lock<std::mutex>& lock, TimePoint deadline) override {
    wake.wait_until(lock, deadline);
  }
};

// The process-wide real clock.
[[nodiscard]] Clock& steady_clock();

// Sleeps that stop() cuts short, for the loops that retry (event stream,
// log followers, the cloud poll).
class Stopper {
 public:
  explicit Stopper(Clock& clock) : clock_(clock) {}
  // Waits `delay` or until stop(); true when stopped.
  bool wait_for(std::chrono::milliseconds delay) {
    std::unique_lock<std::mutex> lock(mutex_);
    const auto deadline = clock_.now() + delay;
    while (!stopped_ && clock_.now() < deadline) clock_.wait_until(wake_, lock, deadline);
    return stopped_;
  }
  void stop() {
    {
      const std::lock_guard<std::mutex> lock(mutex_);
      stopped_ = true;
    }
    wake_.notify_all();
  }
  [[nodiscard]] bool stopped() const {
    const std::lock_guard<std::mutex> lock(mutex_);
    return stopped_;
  }

 private:
  Clock& clock_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopped_ = false;
};

}  // namespace supervisor

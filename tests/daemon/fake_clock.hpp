// A clock on which every wait ends at once with the time moved to its
// deadline: a backoff of hours runs in microseconds, and tests assert on the
// waits asked for rather than on wall time.
#pragma once

#include <mutex>
#include <thread>

#include "clock.hpp"

namespace supervisor::testing {

class FakeClock final : public Clock {
 public:
  [[nodiscard]] TimePoint now() const override {
    const std::lock_guard<std::mutex> lock(mutex_);
    return now_;
  }
  [[nodiscard]] std::int64_t wall_ms() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(now().time_since_epoch()).count();
  }
  void wait_until(std::condition_variable& wake, std::unique_lock<std::mutex>& lock, TimePoint deadline) override {
    // Let the other threads run, then jump to the deadline. (No real wait:
    // the loop waits in steps of a second for the watchdog, so an hour of
    // backoff is 3,600 calls.)
    (void)wake;
    lock.unlock();
    std::this_thread::yield();
    lock.lock();
    const std::lock_guard<std::mutex> guard(mutex_);
    if (deadline > now_) {
      waited_ += deadline - now_;
      now_ = deadline;
    }
  }
  // The time all waits moved the clock.
  [[nodiscard]] std::chrono::nanoseconds waited() const {
    const std::lock_guard<std::mutex> lock(mutex_);
    return waited_;
  }

 private:
  mutable std::mutex mutex_;
  TimePoint now_{};
  std::chrono::nanoseconds waited_{0};
};

}  // namespace supervisor::testing

#include "host_led.hpp"

#include <fstream>

namespace supervisor {

SysfsLed::SysfsLed(std::filesystem::path brightness_file, Pattern pattern)
    : file_(std::move(brightness_file)), pattern_(pattern) {}

SysfsLed::~SysfsLed() {
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool SysfsLed::start_blinking() {
  std::error_code error;
  if (!std::filesystem::exists(file_, error)) return false;
  const std::lock_guard<std::mutex> lock(mutex_);
  until_ = std::chrono::steady_clock::now() + pattern_.duration;
  if (running_) return true;  // the running pattern goes on until the new end
  if (thread_.joinable()) thread_.join();  // the last pattern ended already
  running_ = true;
  thread_ = std::thread([this] { run(); });
  return true;
}

void SysfsLed::write(bool on) {
  // sysfs takes one write per open; a failure (the LED went away) only
  // means nothing lights up.
  std::ofstream out(file_);
  out << (on ? "1" : "0") << std::flush;
}

bool SysfsLed::sleep_until(std::chrono::steady_clock::time_point at) {
  std::unique_lock<std::mutex> lock(mutex_);
  return wake_.wait_until(lock, at, [this] { return stopping_; });
}

void SysfsLed::run() {
  auto next = std::chrono::steady_clock::now();
  while (true) {
    {
      const std::lock_guard<std::mutex> lock(mutex_);
      if (stopping_ || std::chrono::steady_clock::now() >= until_) {
        running_ = false;
        break;
      }
    }
    bool stopped = false;
    for (int i = 0; i < pattern_.blinks && !stopped; ++i) {
      write(true);
      next += pattern_.on;
      stopped = sleep_until(next);
      write(false);
      next += pattern_.off;
      if (!stopped) stopped = sleep_until(next);
    }
    if (stopped) {
      const std::lock_guard<std::mutex> lock(mutex_);
      running_ = false;
      break;
    }
    next += pattern_.pause;
    if (sleep_until(next)) {
      const std::lock_guard<std::mutex> lock(mutex_);
      running_ = false;
      break;
    }
  }
  write(false);
}

}  // namespace supervisor

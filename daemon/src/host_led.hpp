// The identify LED behind POST /v1/blink (local-api.md §3): balena's
// pattern (on 200 ms, off 200 ms, four times, then a 1 s pause) for 15 s,
// written to the LED's sysfs brightness file on a thread of its own so the
// request answers at once. A second blink while one runs extends it. A host
// without that file has no LED to blink: the request still succeeds (as
// balena's does) and the log says so.
#pragma once

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>

namespace supervisor {

class IdentifyLed {
 public:
  virtual ~IdentifyLed() = default;
  // Whether the host has the LED; false: nothing blinks.
  [[nodiscard]] virtual bool start_blinking() = 0;
};

class SysfsLed : public IdentifyLed {
 public:
  struct Pattern {
    std::chrono::milliseconds on{200};
    std::chrono::milliseconds off{200};
    int blinks = 4;
    std::chrono::milliseconds pause{1000};
    std::chrono::milliseconds duration{15000};
  };
  explicit SysfsLed(std::filesystem::path brightness_file) : SysfsLed(std::move(brightness_file), Pattern{}) {}
  SysfsLed(std::filesystem::path brightness_file, Pattern pattern);
  ~SysfsLed() override;
  SysfsLed(const SysfsLed&) = delete;
  SysfsLed& operator=(const SysfsLed&) = delete;

  bool start_blinking() override;

 private:
  void run();
  void write(bool on);
  // Waits until `at`; true when stopped meanwhile.
  bool sleep_until(std::chrono::steady_clock::time_point at);

  const std::filesystem::path file_;
  const Pattern pattern_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::chrono::steady_clock::time_point until_{};
  bool stopping_ = false;
  bool running_ = false;
  std::thread thread_;
};

}  // namespace supervisor

#include "systemd_notify.hpp"

#include <fmt/format.h>
#include <systemd/sd-daemon.h>

#include <cstdint>

namespace supervisor::systemd {

void notify_ready() { sd_notify(0, "READY=1"); }
void notify_stopping() { sd_notify(0, "STOPPING=1"); }
void notify_watchdog() { sd_notify(0, "WATCHDOG=1"); }
void notify_status(const std::string& status) { sd_notify(0, fmt::format("STATUS={}", status).c_str()); }

std::chrono::microseconds watchdog_interval() {
  std::uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) > 0) return std::chrono::microseconds(usec);
  return std::chrono::microseconds(0);
}

}  // namespace supervisor::systemd

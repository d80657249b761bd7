// systemd integration (Type=notify): READY=1 once the daemon serves,
// WATCHDOG=1 from the apply loop, STOPPING=1 on shutdown, STATUS= text.
// Without $NOTIFY_SOCKET (not started by systemd) every call does nothing.
#pragma once

#include <chrono>
#include <string>

namespace supervisor::systemd {

void notify_ready();
void notify_stopping();
void notify_watchdog();
void notify_status(const std::string& status);
// The watchdog interval systemd expects pings within (WatchdogSec), or zero.
[[nodiscard]] std::chrono::microseconds watchdog_interval();

}  // namespace supervisor::systemd

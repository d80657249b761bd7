// systemd integration (Type=notify): READY=1 once the daemon serves,
// WATCHDOG=1 from the apply loop, STOPPING=1 on shutdown, STATUS= text.
// Without $NOTIFY_SOCKET (not started by systemd) every call does nothing.
//
// sd_notify's protocol done here rather than by libsystemd, which the daemon
// would load with five more libraries (~1 MiB idle RSS) for these four
// datagrams (issue 13): one datagram to the AF_UNIX socket named by
// $NOTIFY_SOCKET, a path or, after '@', an abstract name. As sd_notify(0,
// ...), the environment is left as it is.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "engine/common/error.hpp"

namespace supervisor::systemd {

// Each sends one datagram; success when $NOTIFY_SOCKET is not set. Invalid
// when the variable names no socket address, Unavailable when the socket
// cannot be reached. Never fatal: the caller logs it.
engine::Status notify(std::string_view state);
engine::Status notify_ready();
engine::Status notify_stopping();
engine::Status notify_watchdog();
engine::Status notify_status(const std::string& status);

// The watchdog interval systemd expects pings within (WatchdogSec), or zero:
// $WATCHDOG_USEC (decimal microseconds, > 0) when $WATCHDOG_PID is unset or
// is this process, as sd_watchdog_enabled(0, ...). Any invalid value: zero.
[[nodiscard]] std::chrono::microseconds watchdog_interval();

}  // namespace supervisor::systemd

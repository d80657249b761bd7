#include "systemd_notify.hpp"

#include <fmt/format.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <optional>

namespace supervisor::systemd {
namespace {

struct SocketAddress {
  sockaddr_un address{};
  socklen_t length = 0;
};

// $NOTIFY_SOCKET as an address: "/path" (the length counts the path's NUL),
// or "@name", abstract: '@' becomes the leading NUL and the length ends with
// the name (an abstract name has no trailing NUL; a different length would
// be a different name).
engine::Result<SocketAddress> socket_address(std::string_view name) {
  SocketAddress out;
  out.address.sun_family = AF_UNIX;
  const bool abstract = !name.empty() && name.front() == '@';
  const bool path = !name.empty() && name.front() == '/';
  // A path needs room for its NUL; an abstract name's '@' is its NUL.
  const std::size_t room = sizeof(out.address.sun_path) - (abstract ? 0 : 1);
  if ((!abstract && !path) || name.size() > room || (abstract && name.size() < 2)) {
    return engine::Error{engine::ErrorKind::Invalid,
                         fmt::format("NOTIFY_SOCKET={} is neither a socket path nor an abstract name", name)};
  }
  std::memcpy(out.address.sun_path, name.data(), name.size());
  if (abstract) out.address.sun_path[0] = '\0';
  out.length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size() + (abstract ? 0 : 1));
  return out;
}

class Socket {
 public:
  Socket() : fd_(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) {}
  ~Socket() {
    if (fd_ >= 0) ::close(fd_);
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  [[nodiscard]] int fd() const { return fd_; }

 private:
  int fd_;
};

// A whole decimal number, nothing else (no sign, no blanks).
template <class Number>
std::optional<Number> decimal(std::string_view text) {
  Number value{};
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace

engine::Status notify(std::string_view state) {
  const char* name = std::getenv("NOTIFY_SOCKET");
  if (name == nullptr) return engine::Status::success();  // not started by systemd
  auto address = socket_address(name);
  if (!address) return address.error();
  const Socket socket;
  if (socket.fd() < 0) {
    return engine::Status::failure(engine::ErrorKind::Unavailable,
                                   fmt::format("cannot open a socket for NOTIFY_SOCKET: {}", std::strerror(errno)));
  }
  const ssize_t sent = ::sendto(socket.fd(), state.data(), state.size(), MSG_NOSIGNAL,
                                reinterpret_cast<const sockaddr*>(&address.value().address), address.value().length);
  if (sent < 0) {
    return engine::Status::failure(engine::ErrorKind::Unavailable,
                                   fmt::format("cannot notify systemd at {}: {}", name, std::strerror(errno)));
  }
  if (static_cast<std::size_t>(sent) != state.size()) {  // a datagram goes whole or not at all
    return engine::Status::failure(engine::ErrorKind::Unavailable,
                                   fmt::format("cannot notify systemd at {}: {} of {} bytes sent", name, sent,
                                               state.size()));
  }
  return engine::Status::success();
}

engine::Status notify_ready() { return notify("READY=1"); }
engine::Status notify_stopping() { return notify("STOPPING=1"); }
engine::Status notify_watchdog() { return notify("WATCHDOG=1"); }
engine::Status notify_status(const std::string& status) { return notify(fmt::format("STATUS={}", status)); }

std::chrono::microseconds watchdog_interval() {
  const char* usec_text = std::getenv("WATCHDOG_USEC");
  if (usec_text == nullptr) return std::chrono::microseconds(0);
  const auto usec = decimal<std::uint64_t>(usec_text);
  constexpr auto kMax = static_cast<std::uint64_t>(std::numeric_limits<std::chrono::microseconds::rep>::max());
  if (!usec || *usec == 0 || *usec > kMax) return std::chrono::microseconds(0);
  // The variables may have been inherited from a parent systemd watched.
  if (const char* pid_text = std::getenv("WATCHDOG_PID")) {
    const auto pid = decimal<pid_t>(pid_text);
    if (!pid || *pid <= 0 || *pid != ::getpid()) return std::chrono::microseconds(0);
  }
  return std::chrono::microseconds(static_cast<std::chrono::microseconds::rep>(*usec));
}

}  // namespace supervisor::systemd

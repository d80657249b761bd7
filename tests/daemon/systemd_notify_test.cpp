// sd_notify's protocol without libsystemd (issue 13): each notification is one
// datagram on the AF_UNIX socket $NOTIFY_SOCKET names (a path, or '@' for an
// abstract name), read back here exactly as systemd would receive it; the
// watchdog interval from $WATCHDOG_USEC / $WATCHDOG_PID as
// sd_watchdog_enabled reads them.
#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>

#include "scoped_env.hpp"
#include "systemd_notify.hpp"
#include "temp_dir.hpp"

namespace {

namespace systemd = supervisor::systemd;
using std::chrono::microseconds;

// systemd's end: a datagram socket bound to `name` ("/path" or "@abstract",
// as $NOTIFY_SOCKET spells it).
class Receiver {
 public:
  explicit Receiver(const std::string& name) : fd_(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) {
    REQUIRE(fd_ >= 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    REQUIRE(name.size() < sizeof(address.sun_path));
    std::memcpy(address.sun_path, name.data(), name.size());
    const bool abstract = name.front() == '@';
    if (abstract) address.sun_path[0] = '\0';
    // The abstract name is exactly its bytes: no trailing NUL in the length.
    const auto length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size() + (abstract ? 0 : 1));
    REQUIRE(::bind(fd_, reinterpret_cast<const sockaddr*>(&address), length) == 0);
  }
  ~Receiver() { ::close(fd_); }
  Receiver(const Receiver&) = delete;
  Receiver& operator=(const Receiver&) = delete;

  // The next datagram, or nullopt when none is queued (sendto has already
  // queued it when it returns).
  std::optional<std::string> next() {
    std::array<char, 4096> buffer{};
    const ssize_t got = ::recv(fd_, buffer.data(), buffer.size(), MSG_DONTWAIT);
    if (got < 0) return std::nullopt;
    return std::string(buffer.data(), static_cast<std::size_t>(got));
  }

 private:
  int fd_;
};

std::string unique_abstract_name() {
  static int counter = 0;
  return fmt::format("@reconcile-notify-test-{}-{}", ::getpid(), ++counter);
}

}  // namespace

TEST_CASE("notifications reach a socket path as one datagram each, and leave NOTIFY_SOCKET set", "[systemd]") {
  const supervisor::testing::TempDir dir{"notify-test"};
  const std::string path = (dir.path / "notify").string();
  Receiver systemd_end(path);
  const supervisor::testing::ScopedEnv socket("NOTIFY_SOCKET", path.c_str());

  CHECK(systemd::notify_ready().ok());
  CHECK(systemd::notify_watchdog().ok());
  CHECK(systemd::notify_status("applying 3 services").ok());
  CHECK(systemd::notify_stopping().ok());

  CHECK(systemd_end.next() == std::optional<std::string>("READY=1"));
  CHECK(systemd_end.next() == std::optional<std::string>("WATCHDOG=1"));
  CHECK(systemd_end.next() == std::optional<std::string>("STATUS=applying 3 services"));
  CHECK(systemd_end.next() == std::optional<std::string>("STOPPING=1"));
  CHECK(systemd_end.next() == std::nullopt);
  // As sd_notify(0, ...): the variable stays for the next notification.
  REQUIRE(std::getenv("NOTIFY_SOCKET") != nullptr);
  CHECK(std::string(std::getenv("NOTIFY_SOCKET")) == path);
}

TEST_CASE("notifications reach an abstract socket named after '@'", "[systemd]") {
  const std::string name = unique_abstract_name();
  Receiver systemd_end(name);
  const supervisor::testing::ScopedEnv socket("NOTIFY_SOCKET", name.c_str());

  CHECK(systemd::notify_ready().ok());
  CHECK(systemd::notify_watchdog().ok());

  CHECK(systemd_end.next() == std::optional<std::string>("READY=1"));
  CHECK(systemd_end.next() == std::optional<std::string>("WATCHDOG=1"));
  CHECK(systemd_end.next() == std::nullopt);
}

TEST_CASE("an abstract name is matched with its exact length, without a trailing NUL", "[systemd]") {
  // A receiver bound to the name plus a trailing NUL is another socket: a
  // sender that counted the NUL would reach it and not the one systemd binds.
  const std::string name = unique_abstract_name();
  Receiver systemd_end(name);
  Receiver with_trailing_nul(name + std::string(1, '\0'));
  const supervisor::testing::ScopedEnv socket("NOTIFY_SOCKET", name.c_str());

  CHECK(systemd::notify_ready().ok());

  CHECK(systemd_end.next() == std::optional<std::string>("READY=1"));
  CHECK(with_trailing_nul.next() == std::nullopt);
}

TEST_CASE("without NOTIFY_SOCKET a notification does nothing and is no error", "[systemd]") {
  const supervisor::testing::ScopedEnv socket("NOTIFY_SOCKET", nullptr);
  CHECK(systemd::notify_ready().ok());
  CHECK(systemd::notify_watchdog().ok());
  CHECK(systemd::notify_status("idle").ok());
  CHECK(systemd::notify_stopping().ok());
  CHECK(std::getenv("NOTIFY_SOCKET") == nullptr);
}

TEST_CASE("a socket nobody listens on is an error returned, naming it", "[systemd]") {
  const supervisor::testing::TempDir dir{"notify-test"};
  const std::string path = (dir.path / "nobody").string();
  const supervisor::testing::ScopedEnv socket("NOTIFY_SOCKET", path.c_str());

  const auto notified = systemd::notify_ready();
  REQUIRE_FALSE(notified.ok());
  CHECK(notified.error().kind == engine::ErrorKind::Unavailable);
  CHECK_THAT(notified.error().message, Catch::Contains(path));
  // An abstract name nobody bound fails the same way.
  const std::string name = unique_abstract_name();
  const supervisor::testing::ScopedEnv abstract("NOTIFY_SOCKET", name.c_str());
  const auto unheard = systemd::notify_watchdog();
  REQUIRE_FALSE(unheard.ok());
  CHECK(unheard.error().kind == engine::ErrorKind::Unavailable);
}

TEST_CASE("NOTIFY_SOCKET that is no socket address is an error, not a crash", "[systemd]") {
  const std::string too_long = "/" + std::string(sizeof(sockaddr_un{}.sun_path), 'x');
  for (const std::string& value : {std::string("relative/path"), std::string(), std::string("@"), too_long}) {
    const supervisor::testing::ScopedEnv socket("NOTIFY_SOCKET", value.c_str());
    const auto notified = systemd::notify_ready();
    REQUIRE_FALSE(notified.ok());
    CHECK(notified.error().kind == engine::ErrorKind::Invalid);
  }
}

TEST_CASE("the watchdog interval is WATCHDOG_USEC for this process", "[systemd]") {
  const supervisor::testing::ScopedEnv usec("WATCHDOG_USEC", "30000000");

  SECTION("without WATCHDOG_PID") {
    const supervisor::testing::ScopedEnv pid("WATCHDOG_PID", nullptr);
    CHECK(systemd::watchdog_interval() == microseconds(30'000'000));
  }
  SECTION("with WATCHDOG_PID naming this process") {
    const std::string own = std::to_string(::getpid());
    const supervisor::testing::ScopedEnv pid("WATCHDOG_PID", own.c_str());
    CHECK(systemd::watchdog_interval() == microseconds(30'000'000));
  }
  SECTION("with WATCHDOG_PID naming another process (inherited): no watchdog") {
    const std::string other = std::to_string(::getpid() + 1);
    const supervisor::testing::ScopedEnv pid("WATCHDOG_PID", other.c_str());
    CHECK(systemd::watchdog_interval() == microseconds(0));
  }
  SECTION("with WATCHDOG_PID that is not a number: no watchdog") {
    for (const char* bad : {"abc", "", "12x", "-1", "0"}) {
      const supervisor::testing::ScopedEnv pid("WATCHDOG_PID", bad);
      CHECK(systemd::watchdog_interval() == microseconds(0));
    }
  }
  // The variables are read, never consumed.
  CHECK(std::string(std::getenv("WATCHDOG_USEC")) == "30000000");
}

TEST_CASE("a WATCHDOG_USEC that is not a positive number means no watchdog", "[systemd]") {
  const supervisor::testing::ScopedEnv pid("WATCHDOG_PID", nullptr);
  SECTION("unset") {
    const supervisor::testing::ScopedEnv usec("WATCHDOG_USEC", nullptr);
    CHECK(systemd::watchdog_interval() == microseconds(0));
  }
  SECTION("zero") {
    const supervisor::testing::ScopedEnv usec("WATCHDOG_USEC", "0");
    CHECK(systemd::watchdog_interval() == microseconds(0));
  }
  SECTION("not a number") {
    for (const char* bad : {"", "soon", "30s", "-5", " 5", "18446744073709551616"}) {
      const supervisor::testing::ScopedEnv usec("WATCHDOG_USEC", bad);
      CHECK(systemd::watchdog_interval() == microseconds(0));
    }
  }
}

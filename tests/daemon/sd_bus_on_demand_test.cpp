// The sd-bus calls without libsystemd linked (issue 13): the host's power and
// proxy units load libsystemd on first use (daemon/src/sd_bus_on_demand.cpp).
// Against a private dbus-daemon posing as the system bus, each forwarded
// function reaches the real library and its answers come back whole, the
// variadic ones included; with no bus the callers report it as before.
#include <catch2/catch.hpp>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <systemd/sd-bus.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "host_power.hpp"
#include "host_units.hpp"
#include "scoped_env.hpp"
#include "temp_dir.hpp"

extern char** environ;  // NOLINT: POSIX declares it for posix_spawn's callers

namespace {

namespace fs = std::filesystem;

// A dbus-daemon of our own listening on `socket`, with no services to
// activate (a name nobody owns is an error at once); stopped when destroyed.
class PrivateBus {
 public:
  explicit PrivateBus(const fs::path& socket) {
    const fs::path config = socket.parent_path() / "bus.conf";
    std::ofstream(config) << "<busconfig><type>session</type><listen>unix:path=" << socket.string()
                          << "</listen><auth>EXTERNAL</auth><policy context=\"default\">"
                             "<allow send_destination=\"*\"/><allow receive_sender=\"*\"/><allow own=\"*\"/>"
                             "</policy></busconfig>\n";
    std::string config_option = "--config-file=" + config.string();
    std::vector<char*> argv{const_cast<char*>("dbus-daemon"), config_option.data(), const_cast<char*>("--nofork"),
                            const_cast<char*>("--nopidfile"), nullptr};
    // Its complaints (no permission to raise the fd limit) are not ours.
    posix_spawn_file_actions_t quiet;
    ::posix_spawn_file_actions_init(&quiet);
    ::posix_spawn_file_actions_addopen(&quiet, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
    const int spawned = ::posix_spawnp(&pid_, "dbus-daemon", &quiet, nullptr, argv.data(), environ);
    ::posix_spawn_file_actions_destroy(&quiet);
    if (spawned != 0) {
      pid_ = -1;
      return;
    }
    // The socket file appears at bind(), before listen(): wait until a
    // connection is taken (a client in between was refused, -ECONNREFUSED).
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!(listening_ = accepts(socket)) && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  ~PrivateBus() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  PrivateBus(const PrivateBus&) = delete;
  PrivateBus& operator=(const PrivateBus&) = delete;
  [[nodiscard]] bool listening() const { return listening_; }

 private:
  static bool accepts(const fs::path& socket) {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    const std::string path = socket.string();
    if (path.size() >= sizeof address.sun_path) return false;
    path.copy(address.sun_path, path.size());
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    const bool connected = ::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
    ::close(fd);
    return connected;
  }

  pid_t pid_ = -1;
  bool listening_ = false;
};

// A private dbus-daemon in a directory of its own, named as the system bus
// (DBUS_SYSTEM_BUS_ADDRESS) for the test case.
struct PrivateSystemBus {
  supervisor::testing::TempDir dir{"sd-bus-test"};
  fs::path socket = dir.path / "system_bus_socket";
  PrivateBus daemon{socket};
  supervisor::testing::ScopedEnv address{"DBUS_SYSTEM_BUS_ADDRESS", "unix:path=" + socket.string()};
};

bool libsystemd_mapped() {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    if (line.find("libsystemd.so") != std::string::npos) return true;
  }
  return false;
}

bool dbus_daemon_installed() { return std::system("command -v dbus-daemon >/dev/null 2>&1") == 0; }

}  // namespace

TEST_CASE("without a system bus, power requests are Unavailable and no proxy unit is restarted", "[sd_bus]") {
  const supervisor::testing::TempDir dir{"sd-bus-test"};
  const supervisor::testing::ScopedEnv bus("DBUS_SYSTEM_BUS_ADDRESS", "unix:path=" + (dir.path / "no-bus").string());

  const auto power = supervisor::LogindPower().request(supervisor::api::PowerAction::Reboot);
  REQUIRE_FALSE(power.ok());
  CHECK(power.error().kind == engine::ErrorKind::Unavailable);
  CHECK_THAT(power.error().message, Catch::StartsWith("cannot reach systemd-logind: no system D-Bus"));

  const auto units = supervisor::SystemdUnits().restart_proxy();
  REQUIRE(units.ok());
  CHECK(units.value().empty());
}

TEST_CASE("sd-bus calls reach libsystemd, loaded on first use, and its answers come back", "[sd_bus]") {
  if (!dbus_daemon_installed()) {
    WARN("dbus-daemon is not installed (Debian package dbus-daemon): the bus round trips are not run");
    return;
  }
  const PrivateSystemBus bus;
  REQUIRE(bus.daemon.listening());

  sd_bus* raw = nullptr;
  REQUIRE(sd_bus_open_system(&raw) >= 0);
  REQUIRE(raw != nullptr);
  CHECK(libsystemd_mapped());

  SECTION("a method call with an argument, and its reply read") {
    sd_bus_error error = SD_BUS_ERROR_NULL;
    sd_bus_message* reply = nullptr;
    REQUIRE(sd_bus_call_method(raw, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                               "NameHasOwner", &error, &reply, "s", "org.freedesktop.DBus") >= 0);
    int has_owner = 0;
    CHECK(sd_bus_message_read(reply, "b", &has_owner) >= 0);
    CHECK(has_owner == 1);
    sd_bus_message_unref(reply);
    sd_bus_error_free(&error);
  }
  SECTION("a string array property") {
    sd_bus_error error = SD_BUS_ERROR_NULL;
    char** interfaces = nullptr;
    REQUIRE(sd_bus_get_property_strv(raw, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                     "Interfaces", &error, &interfaces) >= 0);
    REQUIRE(interfaces != nullptr);
    for (char** each = interfaces; *each != nullptr; ++each) std::free(*each);
    std::free(interfaces);
    sd_bus_error_free(&error);
  }
  SECTION("a refused call fills the error, which is freed") {
    sd_bus_error error = SD_BUS_ERROR_NULL;
    char* value = nullptr;
    CHECK(sd_bus_get_property_string(raw, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                     "NoSuchProperty", &error, &value) < 0);
    CHECK(value == nullptr);
    REQUIRE(error.name != nullptr);
    CHECK(std::string(error.name).find("org.freedesktop.DBus.Error.") == 0);
    sd_bus_error_free(&error);
    CHECK(error.name == nullptr);
  }
  CHECK(sd_bus_flush_close_unref(raw) == nullptr);
}

TEST_CASE("on a bus without logind or systemd, the callers report it through the loaded library", "[sd_bus]") {
  if (!dbus_daemon_installed()) {
    WARN("dbus-daemon is not installed (Debian package dbus-daemon): the bus round trips are not run");
    return;
  }
  const PrivateSystemBus bus;
  REQUIRE(bus.daemon.listening());

  // The bus answers: logind's name is not there ("... was not provided by
  // any .service files"), which is a refusal, not a missing bus.
  const auto power = supervisor::LogindPower().request(supervisor::api::PowerAction::Shutdown);
  REQUIRE_FALSE(power.ok());
  CHECK(power.error().kind == engine::ErrorKind::Unavailable);
  CHECK_THAT(power.error().message, Catch::StartsWith("systemd-logind refused PowerOff"));
  CHECK_THAT(power.error().message, Catch::Contains("org.freedesktop.login1"));

  // No systemd on this bus: not balenaOS, nothing restarted.
  const auto units = supervisor::SystemdUnits().restart_proxy();
  REQUIRE(units.ok());
  CHECK(units.value().empty());
}

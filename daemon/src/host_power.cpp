#include "host_power.hpp"

#include <fmt/format.h>
#include <systemd/sd-bus.h>

#include <cstring>
#include <memory>

namespace supervisor {
namespace {

struct BusUnref {
  void operator()(sd_bus* bus) const { sd_bus_flush_close_unref(bus); }
};

const char* method_of(api::PowerAction action) {
  switch (action) {
    case api::PowerAction::Reboot: return "Reboot";
    case api::PowerAction::Shutdown: return "PowerOff";
  }
  return "Reboot";
}

}  // namespace

engine::Status LogindPower::request(api::PowerAction action) {
  sd_bus* raw = nullptr;
  if (const int opened = sd_bus_open_system(&raw); opened < 0) {
    return engine::Status::failure(
        engine::ErrorKind::Unavailable,
        fmt::format("cannot reach systemd-logind: no system D-Bus ({})", std::strerror(-opened)));
  }
  const std::unique_ptr<sd_bus, BusUnref> bus(raw);
  sd_bus_error error = SD_BUS_ERROR_NULL;
  // false: not interactive (no polkit prompt; the supervisor runs as root).
  const int called = sd_bus_call_method(bus.get(), "org.freedesktop.login1", "/org/freedesktop/login1",
                                        "org.freedesktop.login1.Manager", method_of(action), &error, nullptr, "b", 0);
  if (called < 0) {
    const std::string why = error.message != nullptr ? error.message : std::strerror(-called);
    sd_bus_error_free(&error);
    return engine::Status::failure(engine::ErrorKind::Unavailable,
                                   fmt::format("systemd-logind refused {}: {}", method_of(action), why));
  }
  sd_bus_error_free(&error);
  return engine::Status::success();
}

}  // namespace supervisor

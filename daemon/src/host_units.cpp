#include "host_units.hpp"

#include <fmt/format.h>
#include <systemd/sd-bus.h>

#include <cstdlib>
#include <cstring>
#include <memory>

namespace supervisor {
namespace {

constexpr const char* kSystemd = "org.freedesktop.systemd1";
constexpr const char* kManagerPath = "/org/freedesktop/systemd1";
constexpr const char* kManager = "org.freedesktop.systemd1.Manager";

struct BusUnref {
  void operator()(sd_bus* bus) const { sd_bus_flush_close_unref(bus); }
};

// A unit's load state ("loaded", "not-found", ...) and PartOf list.
struct UnitFacts {
  std::string load_state;
  std::vector<std::string> part_of;
};

std::string bus_error_text(const sd_bus_error& error, int code) {
  return error.message != nullptr ? error.message : std::strerror(-code);
}

bool unit_facts(sd_bus* bus, const std::string& unit, UnitFacts& out) {
  sd_bus_error error = SD_BUS_ERROR_NULL;
  sd_bus_message* reply = nullptr;
  if (sd_bus_call_method(bus, kSystemd, kManagerPath, kManager, "LoadUnit", &error, &reply, "s", unit.c_str()) < 0) {
    sd_bus_error_free(&error);
    return false;
  }
  const char* path = nullptr;
  const bool read = sd_bus_message_read(reply, "o", &path) >= 0 && path != nullptr;
  const std::string object = read ? path : "";
  sd_bus_message_unref(reply);
  if (!read) return false;
  char* state = nullptr;
  if (sd_bus_get_property_string(bus, kSystemd, object.c_str(), "org.freedesktop.systemd1.Unit", "LoadState", &error,
                                 &state) >= 0) {
    out.load_state = state;
    std::free(state);
  }
  sd_bus_error_free(&error);
  char** part_of = nullptr;
  if (sd_bus_get_property_strv(bus, kSystemd, object.c_str(), "org.freedesktop.systemd1.Unit", "PartOf", &error,
                               &part_of) >= 0 &&
      part_of != nullptr) {
    for (char** each = part_of; *each != nullptr; ++each) {
      out.part_of.emplace_back(*each);
      std::free(*each);
    }
    std::free(part_of);
  }
  sd_bus_error_free(&error);
  return true;
}

}  // namespace

engine::Result<std::vector<std::string>> SystemdUnits::restart_proxy() {
  sd_bus* raw = nullptr;
  if (sd_bus_open_system(&raw) < 0) return std::vector<std::string>{};  // no systemd: nothing to restart
  const std::unique_ptr<sd_bus, BusUnref> bus(raw);
  UnitFacts redsocks;
  if (!unit_facts(bus.get(), "redsocks.service", redsocks) || redsocks.load_state != "loaded") {
    return std::vector<std::string>{};  // not balenaOS
  }
  for (const std::string& target : redsocks.part_of) {
    if (target == "redsocks-conf.target") return std::vector<std::string>{};  // the OS restarts them itself
  }
  std::vector<std::string> units;
  for (const char* config : {"balena-proxy-config.service", "resin-proxy-config.service"}) {
    UnitFacts facts;
    if (unit_facts(bus.get(), config, facts) && facts.load_state == "loaded") {
      units.emplace_back(config);
      break;
    }
  }
  units.emplace_back("redsocks.service");
  for (const std::string& unit : units) {
    sd_bus_error error = SD_BUS_ERROR_NULL;
    const int called = sd_bus_call_method(bus.get(), kSystemd, kManagerPath, kManager, "RestartUnit", &error, nullptr,
                                          "ss", unit.c_str(), "replace");
    if (called < 0) {
      const std::string why = bus_error_text(error, called);
      sd_bus_error_free(&error);
      return engine::Error{engine::ErrorKind::Refused, fmt::format("systemd refused to restart {}: {}", unit, why)};
    }
    sd_bus_error_free(&error);
  }
  return units;
}

}  // namespace supervisor

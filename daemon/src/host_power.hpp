// The host's power: reboot and power-off, asked of systemd-logind over the
// system D-Bus (as the balena supervisor asks systemd). The API's routes
// take the update locks first (LocalApi::power); this only asks the host.
#pragma once

#include "api/device_api.hpp"
#include "engine/common/error.hpp"

namespace supervisor {

class HostPower {
 public:
  virtual ~HostPower() = default;
  // Asks the host to reboot or power off; returns once the request is
  // accepted (the host goes down soon after). Unavailable when there is no
  // system bus or logind refuses.
  [[nodiscard]] virtual engine::Status request(api::PowerAction action) = 0;
};

// org.freedesktop.login1.Manager.Reboot / PowerOff over the system bus.
class LogindPower : public HostPower {
 public:
  [[nodiscard]] engine::Status request(api::PowerAction action) override;
};

}  // namespace supervisor

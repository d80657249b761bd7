// The host's proxy units, restarted after /v1/device/host-config wrote a
// new proxy (balena-supervisor-behaviour §11): balena-proxy-config (or the
// older resin-proxy-config) and redsocks, over systemd's D-Bus API, unless
// redsocks is PartOf redsocks-conf.target (newer balenaOS restarts them on
// its own when the files change). A host without those units (not
// balenaOS) or without a system bus has nothing to restart.
#pragma once

#include <string>
#include <vector>

#include "engine/common/error.hpp"

namespace supervisor {

class HostUnits {
 public:
  virtual ~HostUnits() = default;
  // The units restarted (none: nothing to restart on this host). Refused
  // when systemd refuses the restart of a unit it has.
  [[nodiscard]] virtual engine::Result<std::vector<std::string>> restart_proxy() = 0;
};

class SystemdUnits : public HostUnits {
 public:
  engine::Result<std::vector<std::string>> restart_proxy() override;
};

}  // namespace supervisor

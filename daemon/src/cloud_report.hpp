// The current-state report's body (cloud-protocol §5.2-§5.3): the device's
// own facts plus the `apps` projection shared with the local API, and the
// cache of the last accepted report that lets a restart send only what
// changed (§5.4).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "apply_loop.hpp"
#include "log.hpp"
#include "reconcile/status.hpp"

namespace supervisor {

struct ReportFacts {
  std::string uuid;
  std::int64_t api_port = 48484;
  std::string api_secret;  // the local API's global key: the cloud proxies calls with it (§10)
  std::string os_version;  // "" : reported as null
  std::string supervisor_version;
  bool local_mode = false;  // apps are not reported in local mode
};

// {"<uuid>": {api_port, api_secret, os_version, supervisor_version,
// provisioning_progress: null, provisioning_state: "", status: "Idle",
// logs_channel: null, apps}}. Metrics, addresses and is_undervolted are not
// collected (they are optional fields of the report).
[[nodiscard]] nlohmann::json state_report(const ReportFacts& facts, const reconcile::StatusInput& input);

// The cached report, {} when there is none or it does not read.
[[nodiscard]] nlohmann::json read_report_cache(const std::string& path);
// Written atomically; only after an accepted report, so an idle device
// writes nothing. A failure is logged: the next start sends a full report.
void write_report_cache(const std::string& path, const nlohmann::json& report, Logger& log);

}  // namespace supervisor

// The two versions this binary carries (docs/local-api.md, "Versions").
#pragma once

namespace supervisor {

// The balena supervisor version whose device API and cloud protocol this
// daemon follows: shared/reference/local-api.md and cloud-protocol.md
// describe v19.0.5. Everything balena reads as "the supervisor version" gets
// this one, because balena's clients gate features on it: the CLI refuses
// local-mode push below 7.21.4 and livepush below 9.7.0 (GET /v2/version),
// the cloud shows and checks `supervisor_version` (registration, state
// report), releases' `sw.supervisor` contracts are written against balena's
// numbers, and the registry and cloud see it in the User-Agent. Raise it
// only when the daemon follows a newer balena API.
inline constexpr const char* kSupervisorVersion = "19.0.5";

// This daemon's own release: `supervisor --version`, the start log line,
// and `daemonVersion` in GET /v2/version (balena's tools ignore that field).
inline constexpr const char* kDaemonVersion = "0.1.0";

}  // namespace supervisor

// This supervisor's own version.
#pragma once

namespace supervisor {

inline constexpr const char* kSupervisorVersion = "0.1.0";

}  // namespace supervisor

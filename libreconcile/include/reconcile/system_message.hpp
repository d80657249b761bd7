// The balena supervisor's system log lines for steps, as fleet operators and
// `balena logs` users read them (shared/reference/cloud-protocol.md §6.2):
// `<event text>[ '<object>'][ due to '<error>']`, e.g.
//   Installing service 'web example/web:1'
//   Failed to download image 'example/web:2' due to 'manifest unknown'
// The local API's log stream and the cloud log stream show these, not the
// daemon's own event names.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "reconcile/step.hpp"

namespace reconcile {

enum class StepPhase { Started, Done, Failed };

// The line for a step at a phase; nullopt for what the balena supervisor
// does not announce (locks, records, commits, waiting). `error` is used
// only for Failed.
[[nodiscard]] std::optional<std::string> system_message(const Step& step, StepPhase phase,
                                                        std::string_view error = {});

}  // namespace reconcile

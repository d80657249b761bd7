// The one readable text form of steps, used by tests, logs and
// `supervisor plan --explain` / `--all`.
#pragma once

#include <string>
#include <vector>

#include "reconcile/step.hpp"

namespace reconcile {

// One line naming the action and its resource, e.g.
// "kill app 1 service main (container abc123, commit old)".
[[nodiscard]] std::string describe(const Step& step);
// describe() followed by " -- " and the step's reason.
[[nodiscard]] std::string explain(const Step& step);

}  // namespace reconcile

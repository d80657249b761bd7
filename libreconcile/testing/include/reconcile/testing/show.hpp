// Readable printing of the planner's value types, so that a shrunk
// RapidCheck counterexample reads like a plan request and a plan.
//
// The operators live in namespace reconcile so that argument-dependent lookup
// (and therefore rc::show and Catch) finds them; they print the documented
// JSON forms (reconcile/json.hpp) and, for steps, reconcile::explain.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "reconcile/model.hpp"
#include "reconcile/model_engine.hpp"
#include "reconcile/step.hpp"

namespace reconcile {

std::ostream& operator<<(std::ostream& os, const Step& step);  // one explain() line
std::ostream& operator<<(std::ostream& os, const Service& service);
std::ostream& operator<<(std::ostream& os, const Image& image);
std::ostream& operator<<(std::ostream& os, const Network& network);
std::ostream& operator<<(std::ostream& os, const Volume& volume);
std::ostream& operator<<(std::ostream& os, const App& app);
std::ostream& operator<<(std::ostream& os, const State& state);
std::ostream& operator<<(std::ostream& os, const Context& context);
std::ostream& operator<<(std::ostream& os, const World& world);

namespace testing {

// A batch, one explained step per line, each prefixed by `indent`.
[[nodiscard]] std::string show_batch(const std::vector<Step>& batch, const std::string& indent = "  ");

}  // namespace testing
}  // namespace reconcile

// Helpers for the unit tests: requests from JSON text, plans as text.
#pragma once

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "reconcile/json.hpp"
#include "reconcile/plan_text.hpp"
#include "reconcile/planner.hpp"

namespace test {

inline reconcile::PlanRequest request(const std::string& text) {
  auto parsed = reconcile::parse_plan_request_text(text);
  if (!parsed.ok()) FAIL("bad test request: " << parsed.error().to_string());
  return std::move(parsed).value();
}

// One line per step: "action resource" (see reconcile::describe).
inline std::vector<std::string> plan(const reconcile::PlanRequest& r) {
  std::vector<std::string> lines;
  for (const auto& step : reconcile::next_steps(r.current, r.target, r.context)) {
    lines.push_back(reconcile::describe(step));
  }
  return lines;
}

inline std::vector<std::string> actions(const reconcile::PlanRequest& r) {
  std::vector<std::string> names;
  for (const auto& step : reconcile::next_steps(r.current, r.target, r.context)) {
    names.emplace_back(reconcile::action_name(step));
  }
  return names;
}

}  // namespace test

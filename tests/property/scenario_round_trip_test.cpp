// A failing property prints its shrunk scenario as a plan request
// (reconcile::testing's operator<<). That text is only worth printing if
// it reads back as the same scenario: then a failure found at 1,000,000
// cases becomes a regression test by pasting it (regressions_test.cpp).
#include "catch_prop.hpp"

#include <sstream>
#include <string>

#include "reconcile/json.hpp"
#include "reconcile/planner.hpp"
#include "reconcile/testing/scenario.hpp"

namespace {

// The plan request part of the printed scenario: everything before the
// line that lists the user locks (which the request does not carry).
std::string printed_request(const reconcile::testing::Scenario& scenario) {
  std::ostringstream printed;
  printed << scenario;
  const std::string text = printed.str();
  return text.substr(0, text.find("\nuser locks held on apps:"));
}

void check_round_trip(const reconcile::testing::Scenario& scenario) {
  const auto parsed = reconcile::parse_plan_request_text(printed_request(scenario));
  if (!parsed.ok()) RC_FAIL(parsed.error().to_string());
  const reconcile::PlanRequest& request = parsed.value();
  // Field by field as JSON: every field the planner reads is written.
  RC_ASSERT(reconcile::to_json(request.current) == reconcile::to_json(scenario.current));
  RC_ASSERT(reconcile::to_json(request.target) == reconcile::to_json(scenario.target));
  RC_ASSERT(reconcile::to_json(request.context) == reconcile::to_json(scenario.context));
  // And the planner sees the same device. Not State's ==: a stopped
  // service's composition text reads back with "running": false in it,
  // which the original's config did not carry (running is not config).
  const auto planned = reconcile::next_steps(scenario.current, scenario.target, scenario.context);
  const auto replanned = reconcile::next_steps(request.current, request.target, request.context);
  RC_ASSERT(reconcile::to_json(replanned) == reconcile::to_json(planned));
}

}  // namespace

TEST_CASE("a printed scenario reads back as the same plan request", "[harness]") {
  property_tests::catch_prop("any scenario", [] { check_round_trip(*reconcile::testing::gen_scenario()); });
  property_tests::catch_prop("settled scenarios", [] { check_round_trip(*reconcile::testing::gen_settled_scenario()); });
}

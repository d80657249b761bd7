// Regressions the properties found in the planner, one test each, named
// after the bug.
#include <algorithm>

#include <catch2/catch.hpp>

#include "reconcile/json.hpp"
#include "reconcile/planner.hpp"
#include "reconcile/testing/driver.hpp"
#include "reconcile/testing/properties.hpp"
#include "reconcile/testing/show.hpp"

namespace {

reconcile::PlanRequest request(const std::string& text) {
  auto parsed = reconcile::parse_plan_request_text(text);
  if (!parsed.ok()) FAIL(parsed.error().to_string());
  return std::move(parsed).value();
}

}  // namespace

// Found by the convergence property: `web` requires a reboot and `worker`
// depends on it. Once `web` was created and the breadcrumb set, `worker`
// kept waiting with a noop, so the plan never became empty and the device
// never rebooted: a deadlock. §3.4: the wait is a noop "or nothing if the
// reboot breadcrumb is set".
TEST_CASE("a service waiting on a requires-reboot dependency does not hold off the reboot") {
  const auto r = request(R"({
    "current": {"apps": [{"appId": 1, "commit": "c1", "networks": [{"name": "default"}],
      "services": [{"serviceName": "web", "image": "web:1", "commit": "c1", "status": "Installed", "containerId": "w1",
                    "running": false, "createdAt": "2026-01-01T00:29:00Z",
                    "labels": {"io.balena.update.requires-reboot": "true"}}]}]},
    "target": {"apps": [{"appId": 1, "commit": "c1", "services": [
      {"serviceName": "web", "image": "web:1", "commit": "c1",
       "labels": {"io.balena.update.requires-reboot": "true"}},
      {"serviceName": "worker", "image": "worker:1", "commit": "c1", "depends_on": ["web"]}]}]},
    "context": {"now": "2026-01-01T00:30:00Z", "bootTime": "2026-01-01T00:00:00Z",
      "rebootBreadcrumbSet": true, "locksHeld": [1],
      "availableImages": [{"name": "web:1", "appId": 1, "serviceName": "web", "commit": "c1"},
                          {"name": "worker:1", "appId": 1, "serviceName": "worker", "commit": "c1"}]}
  })");
  const auto steps = reconcile::next_steps(r.current, r.target, r.context);
  INFO(reconcile::testing::show_batch(steps));
  for (const auto& step : steps) CHECK_FALSE(std::holds_alternative<reconcile::Noop>(step));

  // And the whole update converges: reboot, start web, then worker.
  reconcile::testing::Scenario scenario{r.current, r.target, r.context, {}};
  const auto run = reconcile::testing::drive(reconcile::next_steps, scenario);
  INFO(reconcile::testing::show_run(run));
  CHECK(run.ending == reconcile::testing::Ending::Converged);
  CHECK(run.reboots == 1);
  CHECK_FALSE(reconcile::testing::convergence_failure(scenario, run).has_value());
}

// Found by the convergence property: `web` (hand-over) depends on `main`,
// which the target says must not run. `main` is created but never started,
// so `web`'s new container never starts and the old one keeps running: the
// wait balena's dependenciesMetForServiceStart makes too (§3.4). The
// checker had only excepted a waiting service with no container.
TEST_CASE("a hand-over waiting on a dependency that must not run keeps the old container") {
  const auto r = request(R"({
    "current": {"apps": [{"appId": 1, "commit": "c1", "networks": [{"name": "default"}],
      "services": [{"serviceName": "web", "image": "web:1", "commit": "c1", "status": "Running", "containerId": "w1",
                    "running": true, "createdAt": "2026-01-01T00:29:00Z", "environment": {"VARIANT": "1"}}]}]},
    "target": {"apps": [{"appId": 1, "commit": "c2", "services": [
      {"serviceName": "main", "image": "main:1", "commit": "c2", "running": false},
      {"serviceName": "web", "image": "web:1", "commit": "c2", "environment": {"VARIANT": "2"},
       "depends_on": ["main"], "labels": {"io.balena.update.strategy": "hand-over"}}]}]},
    "context": {"now": "2026-01-01T00:30:00Z", "bootTime": "2026-01-01T00:00:00Z",
      "availableImages": [{"name": "web:1", "appId": 1, "serviceName": "web", "commit": "c1"},
                          {"name": "main:1", "appId": 1, "serviceName": "main", "commit": "c2"},
                          {"name": "web:1", "appId": 1, "serviceName": "web", "commit": "c2"}]}
  })");
  reconcile::testing::Scenario scenario{r.current, r.target, r.context, {}};
  const auto run = reconcile::testing::drive(reconcile::next_steps, scenario);
  INFO(reconcile::testing::show_run(run));
  REQUIRE(run.ending == reconcile::testing::Ending::StuckOnUserLocks);
  const auto web = std::find_if(run.final.current.apps.front().services.begin(),
                                run.final.current.apps.front().services.end(),
                                [](const reconcile::Service& s) { return s.service_name == "web"; });
  REQUIRE(web != run.final.current.apps.front().services.end());
  CHECK(web->container_id == std::optional<std::string>("w1"));
  CHECK(web->status == reconcile::ServiceStatus::Running);
  CHECK_FALSE(reconcile::testing::convergence_failure(scenario, run).has_value());
}

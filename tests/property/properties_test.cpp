// The planner (reconcile::next_steps) has every property of
// reconcile::testing, each on RC_PARAMS' number of random devices (ctest
// sets max_success=1000; tests/property/long.sh runs many more).
#include "catch_prop.hpp"

#include "reconcile/planner.hpp"
#include "reconcile/testing/properties.hpp"

namespace {

using reconcile::testing::Property;

void prop(Property property) {
  const reconcile::testing::Planner planner = reconcile::next_steps;
  property_tests::catch_prop(reconcile::testing::name_of(property),
           [&] { reconcile::testing::run_property(property, planner); });
}

}  // namespace

TEST_CASE("determinism: the same request with its lists shuffled gives the same plan", "[property]") {
  prop(Property::Determinism);
}
TEST_CASE("convergence: plan and apply reach the target within the bound", "[property]") {
  prop(Property::Convergence);
}
TEST_CASE("idempotence: a device that runs its target gets an empty plan", "[property]") {
  prop(Property::Idempotence);
}
TEST_CASE("safety: a user's update lock holds off kill, stop, rename and create", "[property]") {
  prop(Property::UserLocksRespected);
}
TEST_CASE("safety: download-then-kill kills only once the release is downloaded", "[property]") {
  prop(Property::DownloadBeforeKill);
}
TEST_CASE("safety: no image in use is removed", "[property]") { prop(Property::ImagesInUseKept); }
TEST_CASE("safety: no volume of an app that stays is removed unless its config changes", "[property]") {
  prop(Property::VolumesKept);
}
TEST_CASE("safety: no service starts before its dependencies run", "[property]") {
  prop(Property::DependenciesFirst);
}
TEST_CASE("safety: a rejected app is never moved towards its target", "[property]") {
  prop(Property::RejectedUntouched);
}

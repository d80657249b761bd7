// A toy planner: the simplest planner that installs a release. It is here
// to be checked; being naive, it fails several properties (which, and why:
// docs/properties.md).
#pragma once

#include <reconcile/model.hpp>
#include <reconcile/step.hpp>
#include <vector>

std::vector<reconcile::Step> toy_next_steps(const reconcile::State& current, const reconcile::State& target,
                                            const reconcile::Context& context);

// The properties as RapidCheck bodies, and a runner for any planner.
#include "reconcile/testing/properties.hpp"

#include <iostream>
#include <random>
#include <sstream>
#include <rapidcheck/detail/Configuration.h>
#include <rapidcheck/detail/Results.h>
#include <rapidcheck/detail/TestListener.h>
#include <rapidcheck/detail/TestMetadata.h>

#include "reconcile/testing/show.hpp"

namespace reconcile::testing {
namespace {

template <typename T>
std::string text(const T& value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

template <typename T>
void shuffle(std::vector<T>& items, std::mt19937& random) {
  std::shuffle(items.begin(), items.end(), random);
}

// The same request with every list in another order.
State shuffled(State state, std::mt19937& random) {
  shuffle(state.apps, random);
  for (App& app : state.apps) {
    shuffle(app.services, random);
    shuffle(app.networks, random);
    shuffle(app.volumes, random);
  }
  return state;
}

Context shuffled(Context context, std::mt19937& random) {
  shuffle(context.available_images, random);
  shuffle(context.downloading, random);
  return context;
}

// Determinism on every world a run goes through, not only the first: later
// worlds hold what the model engine built (new containers, records).
void determinism(const Planner& planner, const Scenario& scenario) {
  std::mt19937 random(*rc::gen::arbitrary<std::uint32_t>());
  const Run run = drive(planner, scenario);
  std::size_t index = 0;
  for (const Batch& batch : run.batches) {
    ++index;
    const State current = shuffled(batch.before.current, random);
    const State target = shuffled(scenario.target, random);
    const Context context = shuffled(batch.before.context, random);
    const std::vector<Step> again = planner(current, target, context);
    if (again != batch.steps) {
      RC_FAIL("batch " + std::to_string(index) + " depends on the order of the input lists.\nplanned:\n" +
              show_batch(batch.steps) + "with the lists shuffled:\n" + show_batch(again) + "shuffled current: " +
              text(current));
    }
  }
}

void convergence(const Planner& planner, const Scenario& scenario) {
  const Run run = drive(planner, scenario);
  RC_TAG(run.ending == Ending::Converged ? "converged" : run.ending == Ending::StuckOnUserLocks ? "user-locked" : "out of batches");
  if (auto why = convergence_failure(scenario, run)) {
    RC_FAIL(*why + "\nthe run:\n" + show_run(run) + "final device: " + text(run.final));
  }
}

void idempotence(const Planner& planner, const Scenario& scenario) {
  const std::vector<Step> steps = planner(scenario.current, scenario.target, scenario.context);
  if (!steps.empty()) RC_FAIL("the device runs its target, yet the plan is:\n" + show_batch(steps));
}

void safety(Property property, const Planner& planner, const Scenario& scenario) {
  const Run run = drive(planner, scenario);
  std::size_t index = 0;
  for (const Batch& batch : run.batches) {
    ++index;
    if (auto why = safety_violation(property, scenario, batch)) {
      RC_FAIL(std::string(name_of(property)) + " violated in batch " + std::to_string(index) + ": " + *why +
              "\nthe batch:\n" + show_batch(batch.steps) + "the device before it: " +
              text(batch.before) + "\nthe run:\n" + show_run(run));
    }
  }
}

// check() reports through its return value and stderr only: RapidCheck's
// default listener would also print a "reproduce" line at exit for every
// failure, which for a deliberately failing check is noise.
class QuietListener : public rc::detail::TestListener {
 public:
  void onTestCaseFinished(const rc::detail::CaseDescription&) override {}
  void onShrinkTried(const rc::detail::CaseDescription&, bool) override {}
  void onTestFinished(const rc::detail::TestMetadata&, const rc::detail::TestResult&) override {}
};

}  // namespace

const std::vector<Property>& all_properties() {
  static const std::vector<Property> properties{
      Property::Determinism,        Property::Convergence,     Property::Idempotence,
      Property::UserLocksRespected, Property::DownloadBeforeKill, Property::ImagesInUseKept,
      Property::VolumesKept,        Property::DependenciesFirst, Property::RejectedUntouched,
  };
  return properties;
}

const char* name_of(Property property) {
  switch (property) {
    case Property::Determinism: return "determinism";
    case Property::Convergence: return "convergence";
    case Property::Idempotence: return "idempotence";
    case Property::UserLocksRespected: return "user-locks-respected";
    case Property::DownloadBeforeKill: return "download-before-kill";
    case Property::ImagesInUseKept: return "images-in-use-kept";
    case Property::VolumesKept: return "volumes-kept";
    case Property::DependenciesFirst: return "dependencies-first";
    case Property::RejectedUntouched: return "rejected-untouched";
  }
  return "?";
}

rc::Gen<Scenario> scenarios_for(Property property) {
  return property == Property::Idempotence ? gen_settled_scenario() : gen_scenario();
}

void check_scenario(Property property, const Planner& planner, const Scenario& scenario) {
  switch (property) {
    case Property::Determinism: determinism(planner, scenario); break;
    case Property::Convergence: convergence(planner, scenario); break;
    case Property::Idempotence: idempotence(planner, scenario); break;
    default: safety(property, planner, scenario); break;
  }
}

void run_property(Property property, const Planner& planner) {
  const Scenario scenario = *scenarios_for(property);
  check_scenario(property, planner, scenario);
}

bool check(Property property, const Planner& planner, const CheckOptions& options) {
  rc::detail::TestParams params = rc::detail::configuration().testParams;
  if (options.seed) params.seed = *options.seed;
  if (options.max_success) params.maxSuccess = *options.max_success;
  params.disableShrinking = !options.shrink;
  rc::detail::TestMetadata metadata;
  metadata.id = name_of(property);
  metadata.description = name_of(property);
  QuietListener listener;
  const auto result = rc::detail::checkProperty(
      rc::detail::toProperty([&] { run_property(property, planner); }), metadata, params, listener);
  if (options.print) {
    std::cerr << "- " << name_of(property) << "\n";
    rc::detail::printResultMessage(result, std::cerr);
    std::cerr << "\n";
  }
  return result.is<rc::detail::SuccessResult>();
}

}  // namespace reconcile::testing

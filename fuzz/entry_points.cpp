#include "entry_points.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "reconcile/json.hpp"
#include "reconcile/model_engine.hpp"
#include "reconcile/plan_text.hpp"
#include "reconcile/planner.hpp"

namespace reconcile::fuzz {
namespace {

// Inputs above these sizes are skipped: they only slow the fuzzer down
// without reaching new planner code.
constexpr std::size_t kMaxServices = 64;
constexpr std::size_t kMaxApps = 16;

[[noreturn]] void fail(const std::string& what, const std::vector<Step>& a, const std::vector<Step>& b) {
  fmt::print(stderr, "{}\nfirst plan:\n", what);
  for (const Step& step : a) fmt::print(stderr, "  {}\n", explain(step));
  fmt::print(stderr, "second plan:\n");
  for (const Step& step : b) fmt::print(stderr, "  {}\n", explain(step));
  std::abort();
}

std::size_t services_in(const State& state) {
  std::size_t count = 0;
  for (const App& app : state.apps) count += app.services.size();
  return count;
}

State reversed(State state) {
  std::reverse(state.apps.begin(), state.apps.end());
  for (App& app : state.apps) {
    std::reverse(app.services.begin(), app.services.end());
    std::reverse(app.networks.begin(), app.networks.end());
    std::reverse(app.volumes.begin(), app.volumes.end());
  }
  return state;
}

Context reversed(Context context) {
  std::reverse(context.available_images.begin(), context.available_images.end());
  std::reverse(context.downloading.begin(), context.downloading.end());
  return context;
}

bool only_noops(const std::vector<Step>& steps) {
  return std::all_of(steps.begin(), steps.end(), [](const Step& s) { return std::holds_alternative<Noop>(s); });
}

}  // namespace

void parse_request(std::string_view input) {
  const auto parsed = parse_plan_request_text(input);
  if (!parsed.ok()) {
    if (parsed.error().to_string().empty()) std::abort();  // an error must say something
    return;
  }
  (void)to_json(parsed.value()).dump();
}

void parse_target_state(std::string_view input) {
  const nlohmann::json json = nlohmann::json::parse(input, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return;
  const std::string uuid = json.is_object() && !json.empty() ? json.begin().key() : "uuid";
  const State empty;
  const Context context;
  const auto check = [&](const auto& parsed) {
    if (!parsed.ok()) {
      if (parsed.error().to_string().empty()) std::abort();  // an error must say something
      return;
    }
    const State& target = parsed.value().target;
    if (services_in(target) > kMaxServices || target.apps.size() > kMaxApps) return;
    const std::vector<Step> steps = next_steps(empty, target, context);
    const std::vector<Step> again = next_steps(empty, target, context);
    if (steps != again) fail("the same target planned twice gave two plans", steps, again);
  };
  check(parse_target_state_v3(json, uuid));
  check(parse_local_target_state(json));
}

void plan(std::string_view input) {
  const auto parsed = parse_plan_request_text(input);
  if (!parsed.ok()) return;
  const PlanRequest& request = parsed.value();
  if (services_in(request.current) + services_in(request.target) > kMaxServices ||
      request.current.apps.size() + request.target.apps.size() > kMaxApps) {
    return;
  }

  const std::vector<Step> steps = next_steps(request.current, request.target, request.context);
  const std::vector<Step> again = next_steps(request.current, request.target, request.context);
  if (steps != again) fail("the same request planned twice gave two plans", steps, again);
  const std::vector<Step> reordered =
      next_steps(reversed(request.current), reversed(request.target), reversed(request.context));
  if (steps != reordered) fail("the request with its lists reversed gave another plan", steps, reordered);

  // `supervisor plan --all`, with its bound.
  World world{request.current, request.context};
  const std::size_t limit = 8 * (services_in(request.current) + services_in(request.target)) + 32;
  std::size_t reboots = 0;
  for (std::size_t n = 0; n < limit; ++n) {
    const std::vector<Step> batch = next_steps(world.current, request.target, world.context);
    if (batch.empty()) {
      if (!world.context.reboot_breadcrumb_set || ++reboots > limit) break;
      reboot(world);
      continue;
    }
    if (only_noops(batch)) {
      finish_downloads(world, request.target);
      settle_transitions(world);
    }
    apply_batch(world, batch);
  }
}

}  // namespace reconcile::fuzz

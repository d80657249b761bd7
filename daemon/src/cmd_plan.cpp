// `supervisor plan`: the planner on a plan request, for people and for
// conformance tools.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <string>

#include <fmt/format.h>

#include "commands.hpp"
#include "reconcile/converge.hpp"
#include "reconcile/json.hpp"
#include "reconcile/plan_text.hpp"
#include "reconcile/planner.hpp"

namespace supervisor {
namespace {

constexpr const char* kPlanUsage =
    "usage: supervisor plan [--all] [--explain] [FILE]\n"
    "  Reads a plan request ({\"current\", \"target\", \"context\"}) from FILE or stdin\n"
    "  and prints the next batch of steps as {\"steps\": [...]}.\n"
    "  --all      apply each batch to the state with the model engine and plan\n"
    "             again until nothing is left: the whole update, batch by batch\n"
    "  --explain  print one readable line per step, with its reason\n";

struct Options {
  bool all = false;
  bool explain = false;
  std::string file;
};

bool read_input(const std::string& file, std::string& out) {
  if (file.empty() || file == "-") {
    out.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    return true;
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) return false;
  out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return true;
}

std::size_t service_count(const reconcile::State& state) {
  std::size_t count = 0;
  for (const auto& app : state.apps) count += app.services.size();
  return count;
}

int plan_all(const reconcile::PlanRequest& request, bool explain) {
  // Every service needs at most a handful of batches (lock, kill, fetch,
  // start, ...), and apps, networks and volumes a few more.
  const std::size_t limit = 8 * (service_count(request.current) + service_count(request.target)) + 32;
  const reconcile::Convergence run = reconcile::converge(request.current, request.target, request.context, limit);
  const bool converged = run.end == reconcile::ConvergeEnd::Converged;
  if (explain) {
    std::size_t n = 0;
    for (const reconcile::Round& round : run.rounds) {
      if (round.kind == reconcile::RoundKind::Reboot) {
        fmt::print("batch {}: reboot (the reboot breadcrumb is set and nothing else is left)\n", ++n);
        continue;
      }
      fmt::print("batch {}:\n", ++n);
      for (const auto& step : round.steps) fmt::print("  {}\n", reconcile::explain(step));
    }
    switch (run.end) {
      case reconcile::ConvergeEnd::Converged: fmt::print("done: nothing left to do\n"); break;
      case reconcile::ConvergeEnd::Stalled: fmt::print("stopped: the plan no longer changes the device\n"); break;
      case reconcile::ConvergeEnd::OutOfBatches:
        fmt::print("stopped: no convergence within {} batches\n", limit);
        break;
    }
  } else {
    nlohmann::json batches = nlohmann::json::array();
    for (const reconcile::Round& round : run.rounds) {
      batches.push_back(round.kind == reconcile::RoundKind::Reboot ? nlohmann::json{{"reboot", true}}
                                                                   : reconcile::to_json(round.steps));
    }
    const nlohmann::json out = {
        {"batches", batches}, {"converged", converged}, {"final", reconcile::to_json(run.final.current)}};
    fmt::print("{}\n", out.dump(2));
  }
  return converged ? 0 : 1;
}

}  // namespace

int cmd_plan(std::span<const std::string_view> args) {
  Options options;
  for (std::string_view arg : args) {
    if (arg == "--all") {
      options.all = true;
    } else if (arg == "--explain") {
      options.explain = true;
    } else if (arg == "--help" || arg == "-h") {
      std::fputs(kPlanUsage, stdout);
      return 0;
    } else if (arg.size() > 1 && arg.front() == '-') {
      std::fprintf(stderr, "supervisor plan: unknown option '%.*s'\n%s", static_cast<int>(arg.size()),
                   arg.data(), kPlanUsage);
      return 2;
    } else if (options.file.empty()) {
      options.file = arg;
    } else {
      std::fprintf(stderr, "supervisor plan: more than one input file\n%s", kPlanUsage);
      return 2;
    }
  }
  std::string text;
  if (!read_input(options.file, text)) {
    std::fprintf(stderr, "supervisor plan: cannot read '%s'\n", options.file.c_str());
    return 2;
  }
  auto parsed = reconcile::parse_plan_request_text(text);
  if (!parsed.ok()) {
    std::fprintf(stderr, "supervisor plan: invalid plan request: %s\n", parsed.error().to_string().c_str());
    return 2;
  }
  const reconcile::PlanRequest request = std::move(parsed).value();
  if (options.all) return plan_all(request, options.explain);

  const auto steps = reconcile::next_steps(request.current, request.target, request.context);
  if (options.explain) {
    if (steps.empty()) std::printf("nothing to do\n");
    for (const auto& step : steps) std::printf("%s\n", reconcile::explain(step).c_str());
  } else {
    std::printf("%s\n", reconcile::to_json(steps).dump().c_str());
  }
  return 0;
}

}  // namespace supervisor

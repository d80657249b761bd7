// Checks a planner against every property of reconcile::testing and prints
// one line per property. The planner checked is the toy one beside this file
// (`property-check`), or the real one (`property-check reconcile`): replace
// either with your own planner function to check it the same way.
//   property-check [toy|reconcile] [--cases N] [--seed S] [--verbose]
// Exit status: 0 when every property held, 1 when one failed, 2 on bad usage.
#include <cstdlib>
#include <iostream>
#include <reconcile/planner.hpp>
#include <reconcile/testing/properties.hpp>
#include <string>

#include "toy_planner.hpp"

namespace rt = reconcile::testing;

int main(int argc, char** argv) {
  std::string which = "toy";
  rt::CheckOptions options;
  options.max_success = 100;
  options.print = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if ((arg == "--cases" || arg == "--seed") && i + 1 < argc) {
      const auto value = std::strtoull(argv[++i], nullptr, 10);
      if (arg == "--cases") options.max_success = static_cast<int>(value);
      else options.seed = value;
    } else if (arg == "--verbose") {
      options.print = true;  // RapidCheck's report, with the shrunk counterexample
    } else if (arg == "toy" || arg == "reconcile") {
      which = arg;
    } else {
      std::cerr << "usage: property-check [toy|reconcile] [--cases N] [--seed S] [--verbose]\n";
      return 2;
    }
  }

  const rt::Planner planner = which == "toy" ? rt::Planner{toy_next_steps} : rt::Planner{reconcile::next_steps};
  int failed = 0;
  for (const rt::Property property : rt::all_properties()) {
    const bool held = rt::check(property, planner, options);
    std::cout << which << " planner: " << rt::name_of(property) << (held ? " held" : " FAILED") << '\n';
    failed += held ? 0 : 1;
  }
  std::cout << which << " planner: " << rt::all_properties().size() - failed << " of "
            << rt::all_properties().size() << " properties held (" << *options.max_success << " cases each)\n";
  return failed == 0 ? 0 : 1;
}

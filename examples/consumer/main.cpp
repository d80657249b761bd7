// Plans the first batch of installing one service on an empty device.
#include <iostream>
#include <reconcile/plan_text.hpp>
#include <reconcile/planner.hpp>

int main() {
  reconcile::Service web;
  web.service_name = "web";
  web.image = "registry.example/web:1";
  web.commit = "release-1";

  reconcile::App app;
  app.services.push_back(web);
  reconcile::State target;
  target.apps.push_back(app);

  for (const auto& step : reconcile::next_steps(reconcile::State{}, target, reconcile::Context{})) {
    std::cout << reconcile::explain(step) << '\n';
  }
}

#include "reconcile/intermediate.hpp"

#include <algorithm>

namespace reconcile {
namespace {

bool selected(const Service& service, AppId app, const std::string& service_name) {
  return service.app_id == app && (service_name.empty() || service.service_name == service_name);
}

}  // namespace

State as_target(const State& current) {
  State target = current;
  for (App& app : target.apps) {
    for (Service& service : app.services) {
      // A target names no container: the planner matches by app and name.
      service.container_id.reset();
      service.status = ServiceStatus::Running;
      service.created_at = 0;
      service.exit_error.clear();
    }
  }
  return target;
}

State without_services(State target, AppId app, const std::string& service_name) {
  for (App& each : target.apps) {
    std::erase_if(each.services, [&](const Service& service) { return selected(service, app, service_name); });
  }
  return target;
}

State without_app(State target, AppId app) {
  std::erase_if(target.apps, [&](const App& each) { return each.app_id == app; });
  return target;
}

State with_running(State target, AppId app, const std::string& service_name, bool running) {
  for (App& each : target.apps) {
    for (Service& service : each.services) {
      if (selected(service, app, service_name)) service.running = running;
    }
  }
  return target;
}

}  // namespace reconcile

#include "reconcile/model_engine.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "reconcile/overloaded.hpp"

namespace reconcile {
namespace {

App& app_for(State& state, AppId app_id, const std::string& app_uuid) {
  for (App& app : state.apps) {
    if (app.app_id == app_id) return app;
  }
  App app;
  app.app_id = app_id;
  app.app_uuid = app_uuid;
  state.apps.push_back(std::move(app));
  return state.apps.back();
}

App* find_app(State& state, AppId app_id) {
  for (App& app : state.apps) {
    if (app.app_id == app_id) return &app;
  }
  return nullptr;
}

// The container a step names: by container id when it has one, else by value.
Service* find_container(State& state, const Service& wanted) {
  App* app = find_app(state, wanted.app_id);
  if (app == nullptr) return nullptr;
  for (Service& service : app->services) {
    if (wanted.container_id ? service.container_id == wanted.container_id : service == wanted) {
      return &service;
    }
  }
  return nullptr;
}

void erase_container(State& state, const Service& wanted) {
  App* app = find_app(state, wanted.app_id);
  Service* found = find_container(state, wanted);
  if (app == nullptr || found == nullptr) return;
  app->services.erase(app->services.begin() + (found - app->services.data()));
}

// A new container for a target service, created now. One that requires a
// reboot is created but not started (it was created after the last boot).
Service create_container(const Service& target, const Context& context) {
  Service container = target;
  container.container_id = "model-" + std::to_string(target.app_id) + "-" + target.service_name + "-" +
                           target.commit + "-" + std::to_string(context.now);
  container.created_at = context.now;
  const bool starts = target.running && !target.config().requires_reboot;
  container.running = starts;
  container.status = starts ? ServiceStatus::Running : ServiceStatus::Installed;
  return container;
}

// The engine's copy of a pulled image, under its name; the engine id is
// the record's, or one the model makes up from the name.
void add_engine_image(Context& context, const Image& image) {
  const std::string id = image.docker_image_id.value_or(fmt::format("sha256:model-{}", image.name));
  auto held = std::find_if(context.engine_images.begin(), context.engine_images.end(),
                           [&id](const EngineImage& e) { return e.id == id; });
  if (held == context.engine_images.end()) {
    context.engine_images.push_back(EngineImage{id, {image.name}});
  } else if (std::find(held->references.begin(), held->references.end(), image.name) == held->references.end()) {
    held->references.push_back(image.name);
  }
}

// removeImage deletes the image by its engine id, else by name: the name's
// reference goes, and an image left without any reference with it.
void delete_engine_image(Context& context, const Image& image) {
  if (image.docker_image_id) {
    std::erase_if(context.engine_images, [&image](const EngineImage& e) { return e.id == *image.docker_image_id; });
    return;
  }
  for (EngineImage& e : context.engine_images) std::erase(e.references, image.name);
  std::erase_if(context.engine_images, [](const EngineImage& e) { return e.references.empty(); });
}

void drop_empty_apps(State& state) {
  std::erase_if(state.apps, [](const App& app) {
    return app.services.empty() && app.networks.empty() && app.volumes.empty();
  });
}

}  // namespace

void apply(World& world, const Step& step, UserLocks& user_locks) {
  if (const auto* lock = std::get_if<TakeLock>(&step); lock != nullptr && user_locks.contains(lock->app_id)) {
    if (!lock->force) return;  // "Updates are locked": nothing changes
    user_locks.erase(lock->app_id);
  }
  State& state = world.current;
  Context& context = world.context;
  const auto make_available = [&context](const Image& image) {
    std::erase(context.downloading, image.name);
    if (std::find(context.available_images.begin(), context.available_images.end(), image) ==
        context.available_images.end()) {
      context.available_images.push_back(image);
    }
  };
  const auto pull = [&context, &make_available](const Image& image) {
    make_available(image);
    add_engine_image(context, image);
  };
  std::visit(
      Overloaded{
          [&](const Fetch& s) { pull(s.image); },
          [&](const Kill& s) { erase_container(state, s.current); },
          [&](const Stop& s) {
            if (Service* container = find_container(state, s.current)) {
              container->running = false;
              container->status = ServiceStatus::Exited;
            }
          },
          [&](const Remove& s) { erase_container(state, s.current); },
          [&](const Start& s) {
            // With a container id the executor starts that container (the
            // planner found it created, or exited on the userland proxy
            // error); without one it creates a container. Either way a
            // running:false or requires-reboot service is left created.
            if (!s.target.container_id) {
              app_for(state, s.target.app_id, s.target.app_uuid).services.push_back(create_container(s.target, context));
            } else if (Service* existing = find_container(state, s.target)) {
              const bool starts = s.target.running && (!s.target.config().requires_reboot ||
                                                       existing->created_at <= context.boot_time);
              if (starts) {
                existing->running = true;
                existing->status = ServiceStatus::Running;
                existing->exit_error.clear();
              }
            }
          },
          [&](const UpdateMetadata& s) {
            if (Service* container = find_container(state, s.current)) {
              container->commit = s.target.commit;
              container->release_id = s.target.release_id;
              container->image_id = s.target.image_id;
              container->service_id = s.target.service_id;
            }
          },
          [&](const Handover& s) {
            erase_container(state, s.current);
            app_for(state, s.target.app_id, s.target.app_uuid).services.push_back(create_container(s.target, context));
          },
          [&](const RemoveImage& s) {
            std::erase(context.available_images, s.image);
            if (s.engine_copy == EngineCopy::Delete) delete_engine_image(context, s.image);
          },
          [&](const SaveImage& s) { make_available(s.image); },
          [&](const CreateNetwork& s) {
            app_for(state, s.target.app_id, s.target.app_uuid).networks.push_back(s.target);
          },
          [&](const CreateVolume& s) {
            app_for(state, s.target.app_id, s.target.app_uuid).volumes.push_back(s.target);
          },
          [&](const RemoveNetwork& s) {
            if (App* app = find_app(state, s.current.app_id)) {
              std::erase_if(app->networks, [&](const Network& n) { return n.name == s.current.name; });
            }
          },
          [&](const RemoveVolume& s) {
            if (App* app = find_app(state, s.current.app_id)) {
              std::erase_if(app->volumes, [&](const Volume& v) { return v.name == s.current.name; });
            }
          },
          [&](const TakeLock& s) { context.locks_held.insert(s.app_id); },
          [&](const ReleaseLock& s) {
            context.locks_held.erase(s.app_id);
            context.has_leftover_locks = false;
          },
          [&](const UpdateCommit& s) {
            if (App* app = find_app(state, s.app_id)) app->commit = s.commit;
          },
          [&](const RequireReboot&) { context.reboot_breadcrumb_set = true; },
          [&](const EnsureSupervisorNetwork&) { context.supervisor_network_ready = true; },
          // A noop changes nothing the planner reads.
          [](const Noop&) {},
      },
      step);
  drop_empty_apps(state);
}

void apply(World& world, const Step& step) {
  UserLocks none;
  apply(world, step, none);
}

void apply_batch(World& world, const std::vector<Step>& batch, UserLocks& user_locks) {
  for (const Step& step : batch) apply(world, step, user_locks);
  world.context.now += 1;
}

void apply_batch(World& world, const std::vector<Step>& batch) {
  UserLocks none;
  apply_batch(world, batch, none);
}

void settle_transitions(World& world) {
  for (App& app : world.current.apps) {
    std::erase_if(app.services, [](const Service& s) {
      return s.status == ServiceStatus::Removing || s.status == ServiceStatus::HandingOver;
    });
    for (Service& service : app.services) {
      switch (service.status) {
        case ServiceStatus::Stopping:
          service.status = ServiceStatus::Exited;
          service.running = false;
          break;
        case ServiceStatus::AwaitingHandover:
        case ServiceStatus::Restarting:
          service.status = ServiceStatus::Running;
          service.running = true;
          break;
        default:
          break;
      }
    }
  }
  drop_empty_apps(world.current);
}

void finish_downloads(World& world, const State& target) {
  for (const App& app : target.apps) {
    for (const Service& service : app.services) {
      if (std::find(world.context.downloading.begin(), world.context.downloading.end(), service.image) ==
          world.context.downloading.end()) {
        continue;
      }
      Image image = image_of(service);
      image.docker_image_id.reset();
      add_engine_image(world.context, image);
      world.context.available_images.push_back(std::move(image));
    }
  }
  world.context.downloading.clear();
}

void reboot(World& world) {
  world.context.boot_time = world.context.now;
  world.context.now += 1;
  world.context.reboot_breadcrumb_set = false;
  world.context.locks_held.clear();
  for (App& app : world.current.apps) {
    for (Service& service : app.services) {
      // The engine restarts containers with a restart policy; the ones never
      // started stay created.
      const std::string& policy = service.config().restart;
      if (service.status == ServiceStatus::Exited && (policy.empty() || policy == "always")) {
        service.running = true;
        service.status = ServiceStatus::Running;
      }
    }
  }
}

}  // namespace reconcile

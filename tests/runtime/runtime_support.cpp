#include "runtime_support.hpp"

#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>
#include <thread>

#include "config.hpp"
#include "create_body.hpp"
#include "engine/docker/json.hpp"
#include "reconcile/json.hpp"
#include "reconcile/plan_text.hpp"
#include "reconcile/planner.hpp"

namespace runtime_test {
namespace {

using nlohmann::json;
namespace docker = engine::docker;

std::mt19937_64& random_engine() {
  static std::mt19937_64 engine{std::random_device{}() ^ static_cast<std::uint64_t>(getpid())};
  return engine;
}

std::string random_hex(std::size_t length) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < length; ++i) out += digits[random_engine()() % 16];
  return out;
}

// The service a step acts on ("" for app- and device-wide steps).
std::string service_of(const reconcile::Step& step) {
  return std::visit(
      [](const auto& s) -> std::string {
        if constexpr (requires { s.service_name; }) return s.service_name;
        else if constexpr (requires { s.target.service_name; }) return s.target.service_name;
        else if constexpr (requires { s.current.service_name; }) return s.current.service_name;
        else return "";
      },
      step);
}

bool only_noops(const std::vector<reconcile::Step>& steps) {
  return std::all_of(steps.begin(), steps.end(),
                     [](const reconcile::Step& s) { return std::holds_alternative<reconcile::Noop>(s); });
}

docker::Filters scope_filter(const Device& device) {
  return {{"label", {std::string(kScopeLabel) + "=" + device.scope()}}};
}

// The daemon's create body: environment, labels, binds, networks from the
// service's composition (daemon/src/create_body.cpp).
// Its lock binds name `data_dir`/locks, the directory the device's
// UpdateLocks watches.
engine::CreateBodyFn daemon_create_body(const std::string& data_dir, supervisor::ApiKeys& keys) {
  supervisor::Config config;
  config.data_dir = data_dir;
  return supervisor::make_create_body(config, supervisor::DeviceIdentity{"runtime-test-device", "", "local"}, keys,
                                     [](reconcile::AppId) { return std::string("runtime-test-app"); });
}

engine::store::Store open_store(const std::filesystem::path& data_dir) {
  engine::store::StoreOptions options;
  options.path = data_dir / "database.sqlite";
  auto opened = engine::store::Store::open(options);
  if (!opened) throw std::runtime_error(opened.error().describe());
  return std::move(opened.value().store);
}

}  // namespace

// --- ConvergeResult ---------------------------------------------------------

std::string ConvergeResult::transcript() const {
  std::ostringstream out;
  int batch = 0;
  for (const auto& outcome : outcomes) {
    if (outcome.batch != batch) {
      batch = outcome.batch;
      out << "batch " << batch << ":\n";
    }
    const bool noop = std::holds_alternative<reconcile::Noop>(outcome.step);
    out << "  " << (noop ? reconcile::explain(outcome.step) : reconcile::describe(outcome.step));
    if (!noop) out << "  [" << std::lround(outcome.result.seconds * 1000) << " ms]";
    if (!outcome.result.status.ok()) out << "  FAILED: " << outcome.result.status.error().describe();
    out << "\n";
  }
  out << (settled ? "settled" : stuck ? "stuck" : "not settled") << " after " << batches << " batches, "
      << seconds << " s\n";
  return out.str();
}

std::vector<StepOutcome> ConvergeResult::failures() const {
  std::vector<StepOutcome> out;
  for (const auto& outcome : outcomes) {
    if (!outcome.result.status.ok()) out.push_back(outcome);
  }
  return out;
}

int ConvergeResult::batch_of(const std::string& action, const std::string& service) const {
  for (const auto& outcome : outcomes) {
    if (reconcile::action_name(outcome.step) == action && service_of(outcome.step) == service) return outcome.batch;
  }
  return 0;
}

// --- Device -----------------------------------------------------------------

Device::Device(DeviceOptions options) {
  scope_ = random_hex(12);
  const auto data_dir = std::filesystem::temp_directory_path() / ("reconcile-runtime-" + scope_);
  lock_dir_ = (data_dir / "locks").string();  // as the daemon's Config::lock_dir()
  std::filesystem::create_directories(lock_dir_);
  locks_ = std::make_unique<engine::UpdateLocks>(lock_dir_);
  store_ = std::make_unique<engine::store::Store>(open_store(data_dir));
  keys_ = std::make_unique<supervisor::ApiKeys>(*store_, "runtime-test-global-key", engine::cloud::urandom_hex());
  engine::RuntimeSettings settings;
  settings.keep_volumes = options.keep_volumes;
  settings.scope_label = std::string(kScopeLabel) + "=" + scope_;
  settings.reboot_breadcrumb = lock_dir_ + "/reboot-required";
  reader_ = std::make_unique<engine::DockerReader>(testenv::client(), records_, *locks_, downloads_, settings);
  executor_ = std::make_unique<engine::DockerExecutor>(testenv::client(), records_, *locks_, downloads_,
                                                       daemon_create_body(data_dir.string(), *keys_),
                                                       engine::ExecutorSettings{settings.reboot_breadcrumb, {}});
}

Device::~Device() { cleanup(); }

void Device::cleanup() {
  // Whatever the test's outcome: every object of this scope goes, then the
  // images it used if nothing else runs them.
  const auto& client = testenv::client();
  const docker::Filters filter = scope_filter(*this);
  if (auto containers = client.list_containers(filter, docker::ListScope::all); containers.ok()) {
    for (const auto& container : containers.value()) testenv::remove_container_quietly(container.id);
  }
  if (auto networks = client.list_networks(filter); networks.ok()) {
    for (const auto& network : networks.value()) (void)client.remove_network(network.id);
  }
  if (auto volumes = client.list_volumes(filter); volumes.ok()) {
    for (const auto& volume : volumes.value()) (void)client.remove_volume(volume.name, docker::Force::yes);
  }
  for (const auto& image : images_to_remove_) (void)client.remove_image(image, docker::Force::no);
  std::error_code ignored;
  std::filesystem::remove_all(std::filesystem::path(lock_dir_).parent_path(), ignored);
}

AppIdentity Device::new_app() {
  AppIdentity app;
  // Nine digits, away from the small ids of examples and other tests.
  app.app_id = 700'000'000 + static_cast<reconcile::AppId>(random_engine()() % 200'000'000);
  app.app_uuid = random_hex(32);
  app.name = "runtime-" + scope_;
  return app;
}

std::string Device::new_commit() { return random_hex(32); }

std::int64_t Device::new_release_id() {
  return 1'000'000 + static_cast<std::int64_t>(random_engine()() % 9'000'000);
}

std::map<std::string, std::string> Device::object_labels() const {
  return {{testenv::env().object_label, testenv::env().env_id}, {kScopeLabel, scope_}};
}

reconcile::State Device::target(const std::vector<std::pair<AppIdentity, ReleaseSpec>>& apps) const {
  const std::string device_uuid = "runtime-test-device";
  json apps_json = json::object();
  std::int64_t next_id = 1;
  for (const auto& [app, release] : apps) {
    json services = json::object();
    for (const auto& service : release.services) {
      json item = {{"id", next_id}, {"image_id", release.release_id * 10 + next_id}, {"image", service.image}};
      ++next_id;
      json composition = service.composition;
      if (!composition.contains("command")) composition["command"] = idle_command();
      item["composition"] = composition;
      auto labels = object_labels();
      for (const auto& [key, value] : service.labels) labels[key] = value;
      item["labels"] = labels;
      if (service.running) item["running"] = *service.running;
      services[service.name] = item;
    }
    // Internal networks: test containers reach nothing but each other.
    json networks = {{"default", {{"internal", true}, {"labels", object_labels()}}}};
    for (const auto& name : release.networks) networks[name] = {{"internal", true}, {"labels", object_labels()}};
    json volumes = json::object();
    for (const auto& name : release.volumes) volumes[name] = {{"labels", object_labels()}};
    apps_json[app.app_uuid] = {
        {"id", app.app_id},
        {"name", app.name},
        {"class", "fleet"},
        {"releases",
         {{release.commit,
           {{"id", release.release_id}, {"services", services}, {"networks", networks}, {"volumes", volumes}}}}}};
  }
  const json document = {{device_uuid, {{"name", "runtime-test"}, {"apps", apps_json}}}};
  auto parsed = reconcile::parse_target_state_v3(document, device_uuid);
  if (!parsed.ok()) FAIL("target does not parse: " << parsed.error().to_string() << "\n" << document.dump(2));
  return parsed.value().target;
}

engine::Snapshot Device::snapshot() {
  engine::Snapshot out;
  const engine::Status read = reader_->read(out);
  if (!read.ok()) FAIL("snapshot: " << read.error().describe());
  return out;
}

ConvergeResult Device::converge(const reconcile::State& target, ConvergeOptions options) {
  ConvergeResult result;
  const auto started = std::chrono::steady_clock::now();
  engine::CancelFlag cancel{false};
  std::vector<std::string> last_failed;
  for (int batch = 1; batch <= options.max_batches; ++batch) {
    const engine::Snapshot current = snapshot();
    const auto steps = reconcile::next_steps(current.current, target, current.context);
    if (steps.empty()) {
      result.settled = true;
      break;
    }
    if (only_noops(steps)) {
      std::this_thread::sleep_for(options.noop_wait);
      continue;
    }
    result.batches = batch;
    const auto results = engine::run_batch(*executor_, steps, options.parallelism, cancel, {});
    std::vector<std::string> failed;
    bool all_failed = true;
    for (std::size_t i = 0; i < steps.size(); ++i) {
      result.outcomes.push_back({steps[i], results[i], batch});
      if (std::holds_alternative<reconcile::Noop>(steps[i])) continue;
      if (results[i].status.ok()) {
        all_failed = false;
      } else {
        failed.push_back(reconcile::describe(steps[i]));
      }
    }
    if (!failed.empty() && options.failures == Failures::Forbidden) {
      result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      FAIL("a step failed (failures are not expected here):\n" << result.transcript());
    }
    // What the daemon would retry forever, with backoff: stop here instead.
    if (!failed.empty() && all_failed && failed == last_failed) {
      result.stuck = true;
      break;
    }
    last_failed = failed;
  }
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (const char* show = std::getenv("RECONCILE_RUNTIME_TRANSCRIPT"); show != nullptr && *show == '1') {
    std::cout << result.transcript() << std::flush;
  }
  return result;
}

std::string Device::tag_busybox(const std::string& tag) {
  const std::string repo = "reconcile-test/runtime-" + scope_;
  const auto tagged = testenv::client().tag_image(testenv::env().busybox_image, repo, tag);
  if (!tagged.ok()) FAIL(tagged.error().describe());
  const std::string name = repo + ":" + tag;
  images_to_remove_.push_back(name);
  return name;
}

int Device::run_in_volume(const std::string& engine_volume, const std::string& script) {
  const auto& client = testenv::client();
  auto labels = object_labels();
  const json body = {
      {"Image", testenv::env().busybox_image},
      {"Cmd", {"/bin/sh", "-c", script}},
      {"Labels", labels},
      {"HostConfig", {{"NetworkMode", "none"}, {"Binds", {engine_volume + ":/data"}}}},
  };
  auto id = client.create_container(testenv::unique_name("volume-helper"), docker::body(body));
  if (!id.ok()) FAIL(id.error().describe());
  const testenv::Cleanup remove([&] { testenv::remove_container_quietly(id.value()); });
  if (auto started = client.start_container(id.value()); !started.ok()) FAIL(started.error().describe());
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    auto inspected = client.inspect_container(id.value());
    if (!inspected.ok()) FAIL(inspected.error().describe());
    if (!inspected->running && inspected->status == "exited") return inspected->exit_code;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  FAIL("the volume helper did not finish within 30 s: " << script);
  return -1;
}

// --- engine queries ----------------------------------------------------------

std::vector<ContainerView> containers_of(const Device& device) {
  const auto& client = testenv::client();
  docker::Filters filter = scope_filter(device);
  filter["label"].push_back("io.balena.supervised");
  auto listed = client.list_containers(filter, docker::ListScope::all);
  if (!listed.ok()) FAIL(listed.error().describe());
  std::vector<ContainerView> out;
  for (const auto& summary : listed.value()) {
    auto inspected = client.inspect_container(summary.id);
    if (!inspected.ok()) continue;  // removed meanwhile
    ContainerView view;
    view.id = inspected->id;
    view.name = inspected->name;
    view.state = inspected->status;
    view.started_at = inspected->started_at;
    view.labels = inspected->labels;
    view.image = summary.image;
    view.raw = docker::parse_raw(inspected->raw);
    out.push_back(std::move(view));
  }
  std::sort(out.begin(), out.end(), [](const ContainerView& a, const ContainerView& b) { return a.name < b.name; });
  return out;
}

std::optional<ContainerView> container_of(const Device& device, const std::string& service) {
  std::optional<ContainerView> found;
  for (auto& container : containers_of(device)) {
    auto it = container.labels.find("io.balena.service-name");
    if (it != container.labels.end() && it->second == service) {
      if (found) FAIL("two containers of service " << service << ": " << found->name << ", " << container.name);
      found = std::move(container);
    }
  }
  return found;
}

std::vector<std::string> network_names(const Device& device) {
  auto listed = testenv::client().list_networks(scope_filter(device));
  if (!listed.ok()) FAIL(listed.error().describe());
  std::vector<std::string> out;
  for (const auto& network : listed.value()) out.push_back(network.name);
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> volume_names(const Device& device) {
  auto listed = testenv::client().list_volumes(scope_filter(device));
  if (!listed.ok()) FAIL(listed.error().describe());
  std::vector<std::string> out;
  for (const auto& volume : listed.value()) out.push_back(volume.name);
  std::sort(out.begin(), out.end());
  return out;
}

bool image_exists(const std::string& name) { return testenv::client().inspect_image(name).ok(); }

json idle_command() {
  return json::array({"/bin/sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"});
}

void report_timing(const std::string& what, double seconds) {
  const long ms = std::lround(seconds * 1000);
  const std::string line = "runtime timing: " + what + ": " + std::to_string(ms) + " ms";
  std::cout << line << std::endl;
  const char* file = std::getenv("RECONCILE_RUNTIME_TIMING_FILE");
  if (file == nullptr || *file == '\0') file = RUNTIME_TIMING_FILE;
  std::ofstream out(file, std::ios::app);
  out << line << "\n";
}

}  // namespace runtime_test

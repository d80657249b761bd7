// What the runtime tests share: a device wired as the daemon wires it
// (DockerReader + DockerExecutor, the daemon's create
// body, update locks in a scratch directory, records in memory), a converge
// loop that mimics the daemon's apply loop batch by batch, and a builder of
// cloud (v3) target states.
//
// Isolation: every object a test makes carries the env's label
// (io.reconcile.test=<env id>, so down.sh sweeps what a crash left) and a
// per-device scope label that the reader filters on, so a test never plans
// for anything but its own containers, networks and volumes.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "api_keys.hpp"
#include "support.hpp"
#include "engine/exec/batch.hpp"
#include "engine/runtime/docker_executor.hpp"
#include "engine/runtime/docker_reader.hpp"
#include "engine/runtime/records.hpp"
#include "engine/store/store.hpp"
#include "reconcile/model.hpp"

namespace runtime_test {

inline constexpr const char* kScopeLabel = "io.reconcile.test.scope";

// A service of a release, in the cloud's v3 form.
struct ServiceSpec {
  std::string name;
  std::string image;
  nlohmann::json composition = nlohmann::json::object();  // volumes, networks, depends_on, command ...
  std::map<std::string, std::string> labels;              // io.balena.update.strategy ...
  std::optional<bool> running;
};

struct ReleaseSpec {
  std::string commit;  // unique per release: container names embed it
  std::int64_t release_id = 0;
  std::vector<ServiceSpec> services;
  std::vector<std::string> networks;  // besides "default", which every app gets
  std::vector<std::string> volumes;
};

// One result of one step, as the apply loop logs it.
struct StepOutcome {
  reconcile::Step step;
  engine::StepResult result;
  int batch = 0;  // 1-based
};

struct ConvergeResult {
  bool settled = false;  // the plan came back empty
  bool stuck = false;    // the same steps failed twice in a row and nothing else was left
  int batches = 0;
  double seconds = 0;
  std::vector<StepOutcome> outcomes;
  // Every batch, one step a line, for INFO on failure.
  [[nodiscard]] std::string transcript() const;
  [[nodiscard]] std::vector<StepOutcome> failures() const;
  // The batch (1-based) that ran the first step of this action for this
  // service, or 0.
  [[nodiscard]] int batch_of(const std::string& action, const std::string& service) const;
};

enum class Failures { Forbidden, Tolerated };

struct ConvergeOptions {
  int max_batches = 40;
  Failures failures = Failures::Forbidden;
  std::chrono::milliseconds noop_wait{250};  // between batches that only wait
  std::size_t parallelism = 4;               // as the daemon's apply loop
};

struct DeviceOptions {
  bool keep_volumes = false;
};

// A unique app on the shared engine.
struct AppIdentity {
  reconcile::AppId app_id = 0;
  std::string app_uuid;  // 32 hex characters, as balena's
  std::string name;
};

class Device {
 public:
  explicit Device(DeviceOptions options = {});
  ~Device();
  Device(const Device&) = delete;
  Device& operator=(const Device&) = delete;

  // A fresh app id/uuid/name, unique on the engine.
  [[nodiscard]] AppIdentity new_app();
  // A fresh commit (32 hex) and release id.
  [[nodiscard]] std::string new_commit();
  [[nodiscard]] std::int64_t new_release_id();

  // The labels every test object carries (env + scope).
  [[nodiscard]] std::map<std::string, std::string> object_labels() const;

  // The device's target: these apps, each at its release.
  [[nodiscard]] reconcile::State target(const std::vector<std::pair<AppIdentity, ReleaseSpec>>& apps) const;

  // Snapshot -> plan -> batch, until the plan is empty, `max_batches` pass
  // or (failures tolerated) the same failing steps are all that is left.
  // With failures forbidden, a failed step fails the test. With
  // RECONCILE_RUNTIME_TRANSCRIPT=1 every run prints its batches.
  ConvergeResult converge(const reconcile::State& target, ConvergeOptions options = {});

  // The current state as the reader sees it (fails the test on error).
  [[nodiscard]] engine::Snapshot snapshot();
  // The reader's own answer, failures included.
  [[nodiscard]] engine::Status try_snapshot(engine::Snapshot& out) { return reader_->read(out); }

  // A local tag of the busybox test image, removed again by the cleanup.
  [[nodiscard]] std::string tag_busybox(const std::string& tag);

  // Runs `script` in a throwaway busybox container with the engine volume
  // mounted at /data; returns its exit code.
  int run_in_volume(const std::string& engine_volume, const std::string& script);

  // Images the cleanup removes if no container uses them.
  void forget_image_later(const std::string& name) { images_to_remove_.push_back(name); }

  const std::string& scope() const { return scope_; }
  const std::string& lock_dir() const { return lock_dir_; }
  supervisor::ApiKeys& api_keys() { return *keys_; }

 private:
  void cleanup();

  std::string scope_;
  std::string lock_dir_;
  std::vector<std::string> images_to_remove_;
  engine::MemoryRecords records_;
  std::unique_ptr<engine::UpdateLocks> locks_;
  std::unique_ptr<engine::store::Store> store_;  // the service API keys' table
  std::unique_ptr<supervisor::ApiKeys> keys_;
  engine::Downloads downloads_;
  std::unique_ptr<engine::DockerReader> reader_;
  std::unique_ptr<engine::DockerExecutor> executor_;
};

// Engine queries, all restricted to the device's scope.
struct ContainerView {
  std::string id;
  std::string name;
  std::string state;  // running, created, exited ...
  std::string started_at;
  std::map<std::string, std::string> labels;
  std::string image;
  nlohmann::json raw;
};
[[nodiscard]] std::vector<ContainerView> containers_of(const Device& device);
[[nodiscard]] std::optional<ContainerView> container_of(const Device& device, const std::string& service);
[[nodiscard]] std::vector<std::string> network_names(const Device& device);
[[nodiscard]] std::vector<std::string> volume_names(const Device& device);
[[nodiscard]] bool image_exists(const std::string& name);

// A shell command that runs until stopped and exits at once on SIGTERM
// (busybox `sleep` as PID 1 ignores it, so every stop would wait 10 s).
[[nodiscard]] nlohmann::json idle_command();

// Prints "runtime timing: <what>: <ms> ms" to stdout and appends it to
// $RECONCILE_RUNTIME_TIMING_FILE, by default runtime-timing.txt in the build
// directory of these tests.
void report_timing(const std::string& what, double seconds);

}  // namespace runtime_test

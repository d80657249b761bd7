// What the integration tests share: the environment up.sh described, a
// client, unique names, and cleanup guards. Every object a test makes carries
// the env's label (io.reconcile.test=<env id>) and a unique name, so tests
// never touch anything else and down.sh can sweep what a failed test left.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "engine/docker/client.hpp"

namespace testenv {

struct Env {
  std::string env_id;
  std::string object_label;          // io.reconcile.test
  std::string busybox_image;         // local image, CMD sleep 3600
  std::string registry;              // 127.0.0.1:<port>
  std::string registry_busybox_image;
  std::string pull_image;            // only in the registry, never left locally
};

// Read once from $RECONCILE_TESTENV_DIR/env; fails the test when missing.
const Env& env();

const engine::docker::Client& client();

// "reconcile-test-<env id>-<what>-<pid>-<n>": unique per call.
std::string unique_name(std::string_view what);

// The labels every test object carries.
engine::docker::Labels labels();

// Filters matching only objects with this env's label.
engine::docker::Filters label_filter();

// A container from the busybox image: not started, network "none", labelled.
std::string create_busybox(const std::string& name);

// Runs `undo` when the scope ends, whatever the test's outcome.
class Cleanup {
 public:
  explicit Cleanup(std::function<void()> undo) : undo_(std::move(undo)) {}
  ~Cleanup() {
    if (undo_) undo_();
  }
  Cleanup(const Cleanup&) = delete;
  Cleanup& operator=(const Cleanup&) = delete;

 private:
  std::function<void()> undo_;
};

// Removes a container (force, with volumes); a missing one is fine.
void remove_container_quietly(const std::string& id);

}  // namespace testenv

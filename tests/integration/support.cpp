#include "support.hpp"

#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <fmt/format.h>
#include <fstream>
#include <map>

#include "engine/docker/json.hpp"

namespace testenv {
namespace {

std::map<std::string, std::string> read_env_file() {
  const char* dir = std::getenv("RECONCILE_TESTENV_DIR");
  if (dir == nullptr) FAIL("RECONCILE_TESTENV_DIR is not set (ctest sets it; see docs/docker.md)");
  const std::string path = fmt::format("{}/env", dir);
  std::ifstream in(path);
  if (!in) FAIL("no " << path << ": run scripts/testenv/up.sh " << dir);
  std::map<std::string, std::string> values;
  std::string line;
  while (std::getline(in, line)) {
    const auto equals = line.find('=');
    if (equals != std::string::npos) values[line.substr(0, equals)] = line.substr(equals + 1);
  }
  return values;
}

}  // namespace

const Env& env() {
  static const Env loaded = [] {
    auto values = read_env_file();
    Env out;
    out.env_id = values["ENV_ID"];
    out.object_label = values["OBJECT_LABEL"];
    out.busybox_image = values["BUSYBOX_IMAGE"];
    out.registry = values["REGISTRY"];
    out.registry_busybox_image = values["REGISTRY_BUSYBOX_IMAGE"];
    out.pull_image = values["PULL_IMAGE"];
    return out;
  }();
  return loaded;
}

const engine::docker::Client& client() {
  static const engine::docker::Client instance = [] {
    auto options = engine::docker::options_from_environment();
    if (!options.ok()) FAIL(options.error().describe());
    return engine::docker::Client(options.value());
  }();
  return instance;
}

std::string unique_name(std::string_view what) {
  static std::atomic<int> counter{0};
  return fmt::format("reconcile-test-{}-{}-{}-{}", env().env_id, what, getpid(), counter++);
}

engine::docker::Labels labels() { return {{env().object_label, env().env_id}}; }

engine::docker::Filters label_filter() {
  return {{"label", {fmt::format("{}={}", env().object_label, env().env_id)}}};
}

std::string create_busybox(const std::string& name) {
  const nlohmann::json body = {
      {"Image", env().busybox_image},
      {"Cmd", {"/bin/sleep", "3600"}},
      {"Labels", labels()},
      {"HostConfig", {{"NetworkMode", "none"}}},
  };
  auto id = client().create_container(name, engine::docker::body(body));
  if (!id.ok()) FAIL(id.error().describe());
  return id.value();
}

void remove_container_quietly(const std::string& id) {
  (void)client().remove_container(id, engine::docker::RemoveVolumes::remove,
                                  engine::docker::Force::yes);
}

}  // namespace testenv

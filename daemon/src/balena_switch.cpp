#include "balena_switch.hpp"

#include <fmt/format.h>

#include <system_error>

#include "engine/cloud/config_json.hpp"
#include "engine/store/store.hpp"

namespace supervisor {
namespace {

namespace fs = std::filesystem;

// The endpoint whose app rows are the balena supervisor's target: config.json's
// on a managed device, else the configured one ("" : unmanaged).
std::string api_endpoint(const Config& config) {
  std::error_code ignored;
  if (!config.config_json_path.empty() && fs::exists(config.config_json_path, ignored)) {
    if (auto read = engine::cloud::read_config_json(config.config_json_path); read && read->managed()) {
      return *read->api_endpoint;
    }
  }
  return config.api_endpoint;
}

std::size_t service_count(const engine::store::ImportedState& state) {
  std::size_t count = 0;
  if (state.target) {
    for (const auto& app : state.target->state.apps) count += app.services.size();
  }
  return count;
}

}  // namespace

BalenaImportOutcome import_balena(const Config& config, const fs::path& from, bool replace) {
  BalenaImportOutcome outcome;
  auto read = engine::store::read_balena_database(from, engine::store::BalenaImportOptions{api_endpoint(config)});
  if (!read) {
    outcome.error = read.error().describe();
    return outcome;
  }
  std::error_code made;
  fs::create_directories(config.data_dir, made);
  if (made) {
    outcome.error = fmt::format("cannot create the data directory {}: {}", config.data_dir, made.message());
    return outcome;
  }
  engine::store::StoreOptions options;
  options.path = config.database_path();
  auto opened = engine::store::Store::open(options);
  if (!opened) {
    outcome.error = fmt::format("cannot open the store: {}", opened.error().describe());
    return outcome;
  }
  auto& store = opened->store;
  if (!replace) {
    auto stored = store.target();
    if (!stored) {
      outcome.error = fmt::format("cannot read the store's target: {}", stored.error().describe());
      return outcome;
    }
    if (stored.value()) {
      outcome.error = fmt::format("the store {} already holds a target; --replace imports over it",
                                  config.database_path());
      return outcome;
    }
  }
  engine::store::ImportedState state = read->state;
  // Recorded with the rest, in the same transaction: where this device's
  // state came from.
  state.config["balenaImportedFrom"] = fs::absolute(from).string();
  auto imported = store.import_state(state);
  if (!imported) {
    outcome.error = fmt::format("cannot write the imported state: {}", imported.error().describe());
    return outcome;
  }
  outcome.imported = true;
  outcome.read = std::move(read).value();
  return outcome;
}

void import_balena_at_first_start(const Config& config, Logger& log) {
  std::error_code ignored;
  if (config.balena_database_path.empty() || fs::exists(config.database_path(), ignored)) return;
  if (!fs::exists(config.balena_database_path, ignored)) return;  // not a device the balena supervisor ran
  log.info("switch-over", "first start with a balena supervisor database: importing it",
           {{"from", config.balena_database_path}});
  const auto outcome = import_balena(config, config.balena_database_path, false);
  if (!outcome.imported) {
    log.error("switch-over", "the balena database was not imported; the containers are adopted from their labels "
                             "once a target that matches them arrives",
              {{"from", config.balena_database_path}, {"error", outcome.error}});
    return;
  }
  const auto& state = outcome.read.state;
  log.info("switch-over", "imported the balena supervisor's state",
           {{"apps", fmt::to_string(state.target ? state.target->state.apps.size() : 0)},
            {"services", fmt::to_string(service_count(state))},
            {"images", fmt::to_string(state.images.size())},
            {"api_keys", fmt::to_string(state.api_keys.size())},
            {"migrations", fmt::to_string(outcome.read.migrations.size())}});
  for (const std::string& note : outcome.read.notes) log.warn("switch-over", note);
}

}  // namespace supervisor

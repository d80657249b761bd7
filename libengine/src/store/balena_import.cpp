// read_balena_database: the balena supervisor's database (balena-database.md)
// into an ImportedState. The target comes from the app rows as the balena
// supervisor rebuilds it (getTargetJson, §2.1) and goes through the same v3
// parser as a target from the cloud, so an imported target and the cloud's
// next one compare equal when they say the same.
#include "engine/store/balena_import.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <set>

#include <nlohmann/json.hpp>

#include "balena_tables.hpp"
#include "reconcile/json.hpp"
#include "reconcile/special_apps.hpp"

namespace engine::store {
namespace {

using balena::Database;
using balena::Row;
using nlohmann::json;

// The 19 migrations of v19.0.5 (§3.3). A name not in this list was written by
// a newer supervisor, whose rows this reader cannot know.
constexpr std::array<const char*, 19> kKnownMigrations = {
    "20171129013519_legacy",  "20171129064057_multicontainer", "20171214172530_image_docker_id",
    "20180516164000-endpoint-specific-apps", "20181907164000-endpoint-specific-logschannel",
    "20190619152500-engine-snapshot", "M00000", "M00001", "M00002", "M00003", "M00004", "M00005", "M00006",
    "M00007", "M00008", "M00009", "M00010", "M00011", "M00012"};

// balena config keys (§2.4) and the config-table names this supervisor
// keeps the same settings under (the device config variables).
constexpr std::array<std::pair<const char*, const char*>, 15> kConfigKeys = {{
    {"localMode", "SUPERVISOR_LOCAL_MODE"},
    {"delta", "SUPERVISOR_DELTA"},
    {"instantUpdates", "SUPERVISOR_INSTANT_UPDATE_TRIGGER"},
    {"connectivityCheckEnabled", "SUPERVISOR_CONNECTIVITY_CHECK"},
    {"loggingEnabled", "SUPERVISOR_LOG_CONTROL"},
    {"apiRequestTimeout", "SUPERVISOR_API_REQUEST_TIMEOUT"},
    {"deltaRequestTimeout", "SUPERVISOR_DELTA_REQUEST_TIMEOUT"},
    {"deltaApplyTimeout", "SUPERVISOR_DELTA_APPLY_TIMEOUT"},
    {"deltaRetryCount", "SUPERVISOR_DELTA_RETRY_COUNT"},
    {"deltaRetryInterval", "SUPERVISOR_DELTA_RETRY_INTERVAL"},
    {"deltaVersion", "SUPERVISOR_DELTA_VERSION"},
    {"lockOverride", "SUPERVISOR_OVERRIDE_LOCK"},
    {"hardwareMetrics", "SUPERVISOR_HARDWARE_METRICS"},
    {"firewallMode", "HOST_FIREWALL_MODE"},
    {"hostDiscoverability", "HOST_DISCOVERABILITY"},
}};
// Kept under the same name: the pending work and device facts they carry
// mean the same here (pinDevice has the same JSON form).
constexpr std::array<const char*, 5> kSameKeys = {"pinDevice", "initialConfigReported", "targetTags",
                                                  "reportedTags", "name"};

// The service fields the balena supervisor (v13+) reads from a stored
// service (§2.1); identity fields are rebuilt from the ids.
constexpr std::array<const char*, 6> kServiceFields = {"image",   "environment", "labels",
                                                       "running", "contract",    "composition"};
constexpr std::array<const char*, 8> kIdentityFields = {"serviceName", "serviceId", "imageId", "appId",
                                                        "appUuid",     "releaseId", "commit",  "imageName"};

BalenaError bad_data(const std::string& path, std::string message) {
  return BalenaError{BalenaErrorKind::BadData, path, std::move(message)};
}

std::string snake_case(const std::string& camel) {
  std::string out;
  for (const char c : camel) {
    if (std::isupper(static_cast<unsigned char>(c)) != 0) {
      out += '_';
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else {
      out += c;
    }
  }
  return out;
}

// Parses a JSON column; NULL gives `fallback`.
ResultOf<json, BalenaError> json_column(const Row& row, const std::string& column, const json& fallback,
                                        const std::string& path, const std::string& what) {
  const auto text = row.text(column);
  if (!text) return fallback;
  json parsed = json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return bad_data(path, fmt::format("{}: column {} is not JSON", what, column));
  return parsed;
}

struct AppsRead {
  json apps = json::object();                      // v3 `apps`, keyed by uuid
  std::map<std::string, bool> rejected;            // by uuid
  std::map<reconcile::AppId, std::string> uuids;   // every app row, target or not
  std::map<std::pair<reconcile::AppId, std::int64_t>, std::string> service_names;  // (app, serviceId)
  std::map<std::pair<reconcile::AppId, std::string>, std::string> service_commits;  // (app, name) -> commit
};

// One stored service as a v3 target service (getTargetJson). `v3_rows`:
// written by v13 or later, which reads only the fields of kServiceFields; an
// older row's compose options stand flattened at top level in camelCase and
// the supervisor that wrote them used them (§3.4).
json target_service(const json& stored, bool v3_rows) {
  json out = json::object();
  if (stored.contains("serviceId")) out["id"] = stored["serviceId"];
  if (stored.contains("imageId")) out["image_id"] = stored["imageId"];
  for (const char* field : kServiceFields) {
    if (stored.contains(field) && !stored[field].is_null()) out[field] = stored[field];
  }
  if (!v3_rows && !out.contains("composition")) {
    json composition = json::object();
    for (const auto& [key, value] : stored.items()) {
      const bool known = std::find(kServiceFields.begin(), kServiceFields.end(), key) != kServiceFields.end() ||
                         std::find(kIdentityFields.begin(), kIdentityFields.end(), key) != kIdentityFields.end();
      if (!known) composition[snake_case(key)] = value;
    }
    if (!composition.empty()) out["composition"] = std::move(composition);
  }
  return out;
}

ResultOf<AppsRead, BalenaError> read_apps(Database& db, const std::string& path, const std::string& source,
                                          bool v3_rows, std::vector<std::string>& notes) {
  AppsRead read;
  if (!db.has_table("app")) return read;
  auto rows = db.rows("app");
  if (!rows) return rows.error();
  for (const Row& row : rows.value()) {
    const auto app_id = row.integer("appId");
    const std::string what = fmt::format("app row {}", row.text("id").value_or("?"));
    if (!app_id) return bad_data(path, fmt::format("{}: appId is not a number", what));
    // Local-mode apps and rows older than v13 have no uuid: the app id is it (M00009).
    const std::string uuid = row.text("uuid").value_or(fmt::to_string(*app_id));
    read.uuids[*app_id] = uuid;
    auto services = json_column(row, "services", json::array(), path, what);
    if (!services) return services.error();
    if (!services->is_array()) return bad_data(path, fmt::format("{}: services is not a JSON array", what));
    for (const json& service : services.value()) {
      if (!service.is_object()) return bad_data(path, fmt::format("{}: a service is not a JSON object", what));
      const std::string name = service.value("serviceName", "");
      if (auto id = service.find("serviceId"); id != service.end() && id->is_number_integer()) {
        read.service_names[{*app_id, id->get<std::int64_t>()}] = name;
      }
      if (row.text("commit")) read.service_commits[{*app_id, name}] = *row.text("commit");
    }

    const std::string app_class = row.text("class").value_or("fleet");
    // Which rows are the target (getTargetApps): this source's, and every
    // non-fleet app. Rows older than v7.8 have no source: all are.
    const bool wanted = !row.has("source") || row.text("source") == source || app_class != "fleet";
    if (!wanted) {
      notes.push_back(fmt::format("app {} ({}) left out: it came from {}, not {}", *app_id, uuid,
                                  row.text("source").value_or("NULL"), source));
      continue;
    }
    json app = {{"id", *app_id}, {"name", row.text("name").value_or("")}, {"class", app_class},
                {"is_host", row.flag("isHost")}, {"releases", json::object()}};
    const auto commit = row.text("commit");
    const auto release_id = row.integer("releaseId");
    if (commit && release_id) {
      json release = {{"id", *release_id}, {"services", json::object()}};
      for (const json& service : services.value()) {
        const std::string name = service.value("serviceName", "");
        if (reconcile::is_balena_supervisor_service(uuid, name)) continue;
        if (row.flag("isHost") && !reconcile::host_app_runs(service)) continue;
        release["services"][name] = target_service(service, v3_rows);
      }
      for (const char* column : {"networks", "volumes"}) {
        auto components = json_column(row, column, json::object(), path, what);
        if (!components) return components.error();
        if (!components->is_object()) return bad_data(path, fmt::format("{}: {} is not a JSON object", what, column));
        release[column] = std::move(components).value();
      }
      app["releases"][*commit] = std::move(release);
    }
    read.rejected[uuid] = row.flag("rejected");
    read.apps[uuid] = std::move(app);
  }
  return read;
}

ResultOf<std::map<std::string, std::string>, BalenaError> read_config(Database& db) {
  std::map<std::string, std::string> out;
  if (!db.has_table("config")) return out;
  auto rows = db.rows("config");
  if (!rows) return rows.error();
  for (const Row& row : rows.value()) {
    if (auto key = row.text("key"); key && row.text("value")) out[*key] = *row.text("value");
  }
  return out;
}

bool is_true(const std::map<std::string, std::string>& config, const char* key) {
  const auto it = config.find(key);
  if (it == config.end()) return false;
  std::string value = it->second;
  std::transform(value.begin(), value.end(), value.begin(), [](unsigned char c) { return std::tolower(c); });
  return value == "1" || value == "true" || value == "on";
}

// deviceConfig.targetValues, names without BALENA_/RESIN_ (stripped since
// M00000; older rows are stripped here).
ResultOf<std::map<std::string, std::string>, BalenaError> read_device_config(Database& db, const std::string& path) {
  std::map<std::string, std::string> out;
  if (!db.has_table("deviceConfig")) return out;
  auto rows = db.rows("deviceConfig");
  if (!rows) return rows.error();
  if (rows->empty()) return out;
  auto values = json_column(rows->front(), "targetValues", json::object(), path, "deviceConfig");
  if (!values) return values.error();
  if (!values->is_object()) return bad_data(path, "deviceConfig: targetValues is not a JSON object");
  for (const auto& [name, value] : values->items()) {
    std::string key = name;
    for (const std::string prefix : {"BALENA_", "RESIN_"}) {
      if (key.starts_with(prefix)) key = key.substr(prefix.size());
    }
    out[key] = value.is_string() ? value.get<std::string>() : value.dump();
  }
  return out;
}

std::vector<ApiScope> scopes_of(const std::optional<std::string>& text, reconcile::AppId app_id,
                                std::vector<std::string>& notes, const std::string& what) {
  const json parsed = json::parse(text.value_or(""), nullptr, /*allow_exceptions=*/false);
  std::vector<ApiScope> scopes;
  bool readable = parsed.is_array();
  if (readable) {
    for (const json& item : parsed) {
      const std::string type = item.is_object() ? item.value("type", "") : "";
      if (type == "global") {
        scopes.push_back({ScopeType::Global, 0});
      } else if (type == "app" && item.contains("appId") && item["appId"].is_number_integer()) {
        scopes.push_back({ScopeType::App, item["appId"].get<reconcile::AppId>()});
      } else {
        readable = false;
      }
    }
  }
  if (readable) return scopes;
  notes.push_back(fmt::format("{}: scopes '{}' unreadable; given the scope its app id means", what,
                              text.value_or("NULL")));
  return {app_id == 0 ? ApiScope{ScopeType::Global, 0} : ApiScope{ScopeType::App, app_id}};
}

ResultOf<std::vector<ApiKey>, BalenaError> read_api_keys(Database& db, const AppsRead& apps,
                                                         const std::map<std::string, std::string>& config,
                                                         std::vector<std::string>& notes) {
  std::vector<ApiKey> keys;
  if (!db.has_table("apiSecret")) {
    // Before v11.14.4 the global key was the config value apiSecret (§2.5).
    if (auto it = config.find("apiSecret"); it != config.end() && !it->second.empty()) {
      keys.push_back(ApiKey{ApiKeyOwner::global(), it->second, {{ScopeType::Global, 0}}});
    }
    return keys;
  }
  auto rows = db.rows("apiSecret", "1 ORDER BY id");
  if (!rows) return rows.error();
  std::set<ApiKeyOwner> owners;
  std::set<std::string> secrets;
  for (const Row& row : rows.value()) {
    const std::string what = fmt::format("apiSecret row {}", row.text("id").value_or("?"));
    const auto app_id = row.integer("appId");
    const auto secret = row.text("key");
    if (!app_id || !secret || secret->empty()) {
      notes.push_back(fmt::format("{} left out: no app id or no key", what));
      continue;
    }
    std::string service = row.text("serviceName").value_or("");
    // v11.14.4 to v12.9 named the service by id (M00007 converted them).
    if (service.empty() && *app_id != 0 && row.integer("serviceId")) {
      const auto found = apps.service_names.find({*app_id, *row.integer("serviceId")});
      if (found != apps.service_names.end()) service = found->second;
    }
    if ((*app_id == 0) != service.empty()) {
      notes.push_back(fmt::format("{} left out: app {} with service '{}' names no owner", what, *app_id, service));
      continue;
    }
    ApiKeyOwner owner{*app_id, service};
    if (!owners.insert(owner).second || !secrets.insert(*secret).second) {
      notes.push_back(fmt::format("{} left out: its owner or its secret appears on an earlier row", what));
      continue;
    }
    keys.push_back(ApiKey{owner, *secret, scopes_of(row.text("scopes"), *app_id, notes, what)});
  }
  return keys;
}

ResultOf<std::vector<reconcile::Image>, BalenaError> read_images(Database& db, const AppsRead& apps,
                                                                 std::vector<std::string>& notes) {
  std::vector<reconcile::Image> images;
  if (!db.has_table("image")) return images;
  auto rows = db.rows("image");
  if (!rows) return rows.error();
  for (const Row& row : rows.value()) {
    const auto name = row.text("name");
    if (!name || name->empty()) {
      notes.push_back(fmt::format("image row {} left out: no name", row.text("id").value_or("?")));
      continue;
    }
    reconcile::Image image;
    image.name = *name;
    image.app_id = row.integer("appId").value_or(0);
    const auto uuid = apps.uuids.find(image.app_id);
    image.app_uuid = row.text("appUuid").value_or(uuid != apps.uuids.end() ? uuid->second
                                                                             : fmt::to_string(image.app_id));
    image.service_name = row.text("serviceName").value_or("");
    image.service_id = row.integer("serviceId").value_or(0);
    image.image_id = row.integer("imageId").value_or(0);
    image.release_id = row.integer("releaseId").value_or(0);
    // Before v13 the row has no commit: the app row's, when it names the service.
    const auto commit = apps.service_commits.find({image.app_id, image.service_name});
    image.commit = row.text("commit").value_or(commit != apps.service_commits.end() ? commit->second : "");
    image.docker_image_id = row.text("dockerImageId");
    // The balena supervisor forgets its own image at every start (cleanImageData).
    if (reconcile::is_balena_supervisor_service(image.app_uuid, image.service_name)) continue;
    images.push_back(std::move(image));
  }
  std::sort(images.begin(), images.end());
  images.erase(std::unique(images.begin(), images.end()), images.end());
  return images;
}

ResultOf<std::map<reconcile::AppId, std::string>, BalenaError> read_commits(
    Database& db, const AppsRead& apps, const std::map<std::string, std::string>& config) {
  std::map<reconcile::AppId, std::string> commits;
  if (!db.has_table("currentCommit")) {
    // Before v12.2 one commit for the device (M00006 gave it to every app).
    if (auto it = config.find("currentCommit"); it != config.end() && !it->second.empty()) {
      for (const auto& [app_id, uuid] : apps.uuids) commits[app_id] = it->second;
    }
    return commits;
  }
  auto rows = db.rows("currentCommit");
  if (!rows) return rows.error();
  for (const Row& row : rows.value()) {
    if (auto app_id = row.integer("appId"); app_id && row.text("commit")) commits[*app_id] = *row.text("commit");
  }
  return commits;
}

std::string strip_js(std::string name) {
  if (name.ends_with(".js")) name.resize(name.size() - 3);
  return name;
}

}  // namespace

const char* to_string(BalenaErrorKind kind) {
  switch (kind) {
    case BalenaErrorKind::Missing: return "missing";
    case BalenaErrorKind::Unreadable: return "unreadable";
    case BalenaErrorKind::Newer: return "newer";
    case BalenaErrorKind::Unsupported: return "unsupported";
    case BalenaErrorKind::BadData: return "bad-data";
  }
  return "unknown";
}

std::string BalenaError::describe() const { return fmt::format("{}: {} ({})", path, message, to_string(kind)); }

ResultOf<BalenaImport, BalenaError> read_balena_database(const std::filesystem::path& path,
                                                         const BalenaImportOptions& options) {
  const std::string where = path.string();
  auto opened = Database::open(path);
  if (!opened) return opened.error();
  Database& db = opened.value();
  if (auto failed = db.begin()) return *failed;
  struct End {
    Database& db;
    ~End() { db.end(); }
  } end{db};

  BalenaImport out;
  if (!db.has_table("knex_migrations")) {
    return BalenaError{BalenaErrorKind::Unsupported, where,
                       db.has_table("app") ? "a pre-v7 database (no knex_migrations): the balena supervisor converts "
                                             "it with its cloud's help; start a balena supervisor v7 or later first"
                                           : "not a balena supervisor database (no knex_migrations, no app table)"};
  }
  auto migrations = db.rows("knex_migrations", "1 ORDER BY id");
  if (!migrations) return migrations.error();
  std::set<std::string> applied;
  for (const Row& row : migrations.value()) {
    const std::string name = strip_js(row.text("name").value_or(""));
    out.migrations.push_back(name);
    if (std::find(kKnownMigrations.begin(), kKnownMigrations.end(), name) == kKnownMigrations.end()) {
      return BalenaError{BalenaErrorKind::Newer, where,
                         fmt::format("migration '{}' is from a balena supervisor newer than v19.0.5", name)};
    }
    applied.insert(name);
  }
  const bool v3_rows = applied.count("M00008") != 0;

  auto config = read_config(db);
  if (!config) return config.error();
  // Unmanaged means local mode, as the balena supervisor forces it.
  const bool local_mode = is_true(config.value(), "localMode") || options.api_endpoint.empty();
  const std::string source = local_mode ? "local" : options.api_endpoint;

  auto apps = read_apps(db, where, source, v3_rows, out.notes);
  if (!apps) return apps.error();
  auto device_config = read_device_config(db, where);
  if (!device_config) return device_config.error();

  if (is_true(config.value(), "targetStateSet")) {
    const auto name = config->find("name");
    json device = {{"apps", apps->apps}};
    if (name != config->end() && !name->second.empty()) device["name"] = name->second;
    auto parsed = reconcile::parse_target_state_v3(json{{"balena", device}}, "balena");
    if (!parsed.ok()) {
      return bad_data(where, fmt::format("the stored target does not read: {}", parsed.error().to_string()));
    }
    Target target;
    target.device_name = name != config->end() ? name->second : "local";
    target.device_config = std::move(device_config).value();
    target.state = std::move(parsed).value().target;
    for (reconcile::App& app : target.state.apps) app.is_rejected = apps->rejected[app.app_uuid];
    out.state.target = std::move(target);
  } else {
    out.notes.push_back("no target imported: targetStateSet is not true, so the balena supervisor would not "
                        "apply the stored apps either");
  }

  auto keys = read_api_keys(db, apps.value(), config.value(), out.notes);
  if (!keys) return keys.error();
  out.state.api_keys = std::move(keys).value();
  auto images = read_images(db, apps.value(), out.notes);
  if (!images) return images.error();
  out.state.images = std::move(images).value();
  auto commits = read_commits(db, apps.value(), config.value());
  if (!commits) return commits.error();
  out.state.commits = std::move(commits).value();

  for (const auto& [balena_key, our_key] : kConfigKeys) {
    if (auto it = config->find(balena_key); it != config->end()) out.state.config[our_key] = it->second;
  }
  for (const char* key : kSameKeys) {
    if (auto it = config->find(key); it != config->end()) out.state.config[key] = it->second;
  }
  // The global key is the local API's key (identity.hpp keeps it as apiKey).
  for (const ApiKey& key : out.state.api_keys) {
    if (key.owner.is_global()) out.state.config["apiKey"] = key.key;
  }
  if (is_true(config.value(), "legacyAppsPresent")) {
    out.notes.push_back("legacyAppsPresent is true: a pre-v7 app was never normalised; its row is imported as is");
  }
  if (db.has_table("engineSnapshot") && !local_mode) {
    auto snapshot = db.rows("engineSnapshot");
    if (snapshot && !snapshot->empty()) {
      out.notes.push_back("an engine snapshot is stored with local mode off: the balena supervisor was leaving "
                          "local mode and had not cleaned up; nothing is cleaned here");
    }
  }
  return out;
}

}  // namespace engine::store

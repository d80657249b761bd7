#include "cloud_report.hpp"

#include <fstream>
#include <iterator>

#include "engine/cloud/config_json.hpp"
#include "reconcile/status_json.hpp"

namespace supervisor {

using nlohmann::json;

json state_report(const ReportFacts& facts, const reconcile::StatusInput& input) {
  json device = json::object();
  device["api_port"] = facts.api_port;
  device["api_secret"] = facts.api_secret;
  device["os_version"] = facts.os_version.empty() ? json(nullptr) : json(facts.os_version);
  device["supervisor_version"] = facts.supervisor_version;
  device["provisioning_progress"] = nullptr;
  device["provisioning_state"] = "";
  device["status"] = "Idle";
  if (!facts.local_mode) {
    device["logs_channel"] = nullptr;
    device["apps"] = reconcile::apps_report_json(reconcile::apps_report(input));
  }
  return json{{facts.uuid, std::move(device)}};
}

json read_report_cache(const std::string& path) {
  std::ifstream in(path);
  if (!in) return json::object();
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  json cached = json::parse(text, nullptr, /*allow_exceptions=*/false);
  return cached.is_object() ? cached : json::object();
}

void write_report_cache(const std::string& path, const json& report, Logger& log) {
  if (auto written = engine::cloud::write_file_atomically(path, report.dump()); !written) {
    log.warn("report", "cannot keep the last report; the next start sends a full one",
             {{"path", path}, {"error", written.error().describe()}});
  }
}

}  // namespace supervisor

#include <catch2/catch.hpp>

#include "engine/cloud/json.hpp"
#include "engine/cloud/state_report.hpp"

using nlohmann::json;
namespace cloud = engine::cloud;

namespace {

const char* const kUuid = "d42adeaa1b24a36d41121ac15c4bd337";

// A realistic full report: device fields plus one app with two services.
json full_report() {
  return json::parse(R"({"d42adeaa1b24a36d41121ac15c4bd337": {
    "api_port": 48484, "api_secret": "s3cret", "os_version": "balenaOS 6.0.10", "os_variant": "prod",
    "supervisor_version": "19.0.5", "provisioning_progress": null, "provisioning_state": "",
    "status": "Idle", "logs_channel": null, "ip_address": "192.168.1.20",
    "cpu_usage": 12, "cpu_temp": 47, "memory_usage": 350, "memory_total": 3805, "is_undervolted": false,
    "apps": {"5ec89b5d09ed4bc5a9913915d93d9834": {"release_uuid": "8eb1",
      "releases": {"8eb1": {"update_status": "done", "services": {
        "frontend": {"image": "img@sha256:1d", "status": "Running"},
        "backend": {"image": "backend", "status": "Running"}}}}}}}})");
}

}  // namespace

TEST_CASE("first report: everything is sent, null fields included", "[report]") {
  const json diff = cloud::report_diff(json::object(), full_report());
  CHECK(diff == full_report());
  CHECK(diff[kUuid].contains("provisioning_progress"));
}

TEST_CASE("nothing changed: the diff is empty", "[report]") {
  CHECK(cloud::report_diff(full_report(), full_report()).empty());
}

TEST_CASE("a changed scalar is sent alone", "[report]") {
  json now = full_report();
  now[kUuid]["ip_address"] = "192.168.1.21";
  CHECK(cloud::report_diff(full_report(), now) == json{{kUuid, {{"ip_address", "192.168.1.21"}}}});
}

TEST_CASE("a change deep inside apps sends the complete apps object", "[report]") {
  json now = full_report();
  now[kUuid]["apps"]["5ec89b5d09ed4bc5a9913915d93d9834"]["releases"]["8eb1"]["services"]["backend"]["status"] =
      "exited";
  const json diff = cloud::report_diff(full_report(), now);
  REQUIRE(diff[kUuid].size() == 1);
  CHECK(diff[kUuid]["apps"] == now[kUuid]["apps"]);
}

TEST_CASE("empty objects are pruned, an empty apps is never sent", "[report]") {
  json now = full_report();
  now[kUuid]["apps"] = json::object();
  const json first = cloud::report_diff(json::object(), now);
  CHECK_FALSE(first[kUuid].contains("apps"));

  json rejected = json::parse(R"({"app": {"releases": {"c1": {"update_status": "rejected", "services": {}}}}})");
  now[kUuid]["apps"] = rejected;
  const json diff = cloud::report_diff(full_report(), now);
  CHECK(diff[kUuid]["apps"] == json::parse(R"({"app": {"releases": {"c1": {"update_status": "rejected"}}}})"));
}

TEST_CASE("fields that disappeared are not sent as null", "[report]") {
  json now = full_report();
  now[kUuid].erase("ip_address");
  CHECK(cloud::report_diff(full_report(), now).empty());
}

TEST_CASE("cpu_usage, cpu_temp and memory_usage change only across buckets", "[report]") {
  json now = full_report();
  now[kUuid]["cpu_usage"] = 19;     // 12 -> 19: same bucket of 20
  now[kUuid]["cpu_temp"] = 49;      // 47 -> 49: same bucket of 5
  now[kUuid]["memory_usage"] = 359;  // 350 -> 359: same bucket of 10
  CHECK(cloud::report_diff(full_report(), now).empty());
  now[kUuid]["cpu_usage"] = 20;
  now[kUuid]["memory_total"] = 3806;  // not bucketed
  const json diff = cloud::report_diff(full_report(), now);
  CHECK(diff == json{{kUuid, {{"cpu_usage", 20}, {"memory_total", 3806}}}});
  CHECK(cloud::is_metrics_only(diff));
}

TEST_CASE("is_metrics_only: is_undervolted is not a metric, and an empty diff is not metrics-only", "[report]") {
  CHECK_FALSE(cloud::is_metrics_only(json::object()));
  CHECK(cloud::is_metrics_only(json{{kUuid, {{"storage_usage", 1}, {"cpu_id", "abc"}}}}));
  CHECK_FALSE(cloud::is_metrics_only(json{{kUuid, {{"storage_usage", 1}, {"is_undervolted", true}}}}));
}

TEST_CASE("merge on failure: the failed fields go again with their current values", "[report]") {
  const json accepted = full_report();
  json at_failure = full_report();
  at_failure[kUuid]["ip_address"] = "10.0.0.1";
  at_failure[kUuid]["status"] = "Busy";
  const json failed = cloud::report_diff(accepted, at_failure);

  // Since then: ip went back to the accepted value, status changed again,
  // and os_version changed.
  json now = full_report();
  now[kUuid]["status"] = "Idle again";
  now[kUuid]["os_version"] = "balenaOS 6.1.0";
  const json diff = cloud::report_diff(accepted, now);
  const json merged = cloud::merge_failed_report(failed, now, diff);
  // The cloud may hold 10.0.0.1 from the failed report: the accepted value goes again.
  CHECK(merged == json{{kUuid,
                        {{"status", "Idle again"}, {"os_version", "balenaOS 6.1.0"}, {"ip_address", "192.168.1.20"}}}});
}

TEST_CASE("merge on failure: a field gone from the current state is not sent", "[report]") {
  const json failed = {{kUuid, {{"ip_address", "10.0.0.1"}}}};
  json now = full_report();
  now[kUuid].erase("ip_address");
  CHECK(cloud::merge_failed_report(failed, now, json::object()).empty());
}

TEST_CASE("an accepted report becomes the base of the next diff", "[report]") {
  json now = full_report();
  now[kUuid]["apps"]["x"] = json::parse(R"({"releases": {"c": {"update_status": "done", "services": {}}}})");
  const json sent = cloud::report_diff(json::object(), now);
  const json accepted = cloud::apply_accepted_report(json::object(), sent);
  // The pruned form was accepted; the unpruned current state still diffs empty.
  CHECK(cloud::report_diff(accepted, now).empty());
  json later = now;
  later[kUuid]["status"] = "Busy";
  const json accepted_later = cloud::apply_accepted_report(accepted, cloud::report_diff(accepted, later));
  CHECK(accepted_later[kUuid]["status"] == "Busy");
  CHECK(accepted_later[kUuid]["api_port"] == 48484);
}

TEST_CASE("report pacing: retry backoff, Retry-After in seconds, 10 s throttle, 5 min for metrics", "[report]") {
  using std::chrono::milliseconds;
  const milliseconds poll(900000);
  CHECK(cloud::report_retry_delay(0, poll, std::nullopt) == milliseconds(15000));
  CHECK(cloud::report_retry_delay(1, poll, std::nullopt) == milliseconds(30000));
  CHECK(cloud::report_retry_delay(5, poll, std::nullopt) == milliseconds(480000));
  CHECK(cloud::report_retry_delay(6, poll, std::nullopt) == poll);
  CHECK(cloud::report_retry_delay(60, poll, std::nullopt) == poll);
  CHECK(cloud::report_retry_delay(3, poll, 60L) == milliseconds(60000));

  CHECK(cloud::report_throttle_wait(std::nullopt) == milliseconds(0));
  CHECK(cloud::report_throttle_wait(milliseconds(4000)) == milliseconds(6000));
  CHECK(cloud::report_throttle_wait(milliseconds(12000)) == milliseconds(0));

  CHECK_FALSE(cloud::report_due(true, false, std::nullopt));
  CHECK(cloud::report_due(false, true, std::nullopt));
  CHECK_FALSE(cloud::report_due(false, true, milliseconds(299000)));
  CHECK(cloud::report_due(false, true, milliseconds(300000)));
  CHECK(cloud::report_due(false, false, milliseconds(1000)));
}

// The state report's diff (engine/cloud/json.hpp, cloud-protocol §5.4) on
// random pairs of reports: applying the diff to the last accepted report
// gives a report with nothing left to send against the current one, every
// sent field holds its current value, a metric that stayed in its bucket
// keeps the accepted value, and no field is dropped or sent as null. And the
// merge-on-failure rule: the next report carries every field the failed
// one carried that still exists, with its current value.
#include "catch_prop.hpp"

#include <cmath>
#include <string>
#include <vector>

#include "engine/cloud/json.hpp"

namespace {

using nlohmann::json;

const std::vector<std::string> kDevices = {"d42adeaa1b24a36d41121ac15c4bd337", "0490253510c841b9b004f3879218eb37"};
// Plain fields, bucketed metrics (cpu_usage /20, cpu_temp /5, memory_usage
// /10), an unbucketed metric, and the nested apps.
const std::vector<std::string> kFields = {"status",       "ip_address", "is_online",    "cpu_usage",
                                          "cpu_temp",     "memory_usage", "storage_usage", "apps",
                                          "is_undervolted"};

rc::Gen<json> gen_value(const std::string& field) {
  if (field == "apps") {
    return rc::gen::exec([] {
      json apps = json::object();
      for (const char* uuid : {"5ec89b5d09ed4bc5a9913915d93d9834", "a1"}) {
        switch (*rc::gen::inRange(0, 3)) {
          case 0: break;  // absent
          case 1: apps[uuid] = json::object(); break;  // pruned before sending
          default:
            apps[uuid] = {{"release_id", *rc::gen::inRange(1, 4)},
                          {"services", {{"web", {{"status", *rc::gen::element<std::string>("Running", "Downloading")}}}}}};
        }
      }
      return apps;
    });
  }
  if (field.rfind("cpu_", 0) == 0 || field.rfind("memory_", 0) == 0 || field.rfind("storage_", 0) == 0) {
    // Integers and fractions around bucket edges, sometimes not a number.
    return rc::gen::oneOf(rc::gen::map(rc::gen::inRange(0, 101), [](int v) { return json(v); }),
                          rc::gen::map(rc::gen::inRange(0, 400), [](int v) { return json(v / 4.0); }),
                          rc::gen::just(json("n/a")), rc::gen::just(json(nullptr)));
  }
  if (field == "is_online" || field == "is_undervolted") {
    return rc::gen::map(rc::gen::arbitrary<bool>(), [](bool b) { return json(b); });
  }
  return rc::gen::map(rc::gen::element<std::string>("Idle", "Updating", "10.0.0.2", "10.0.0.3 10.0.0.4", ""),
                      [](const std::string& s) { return json(s); });
}

// A report in the PATCH body's form, {"<uuid>": {fields}}; a device may be
// absent, empty, or (in a damaged cache) not an object.
json gen_report() {
  json report = json::object();
  for (const std::string& uuid : kDevices) {
    const int shape = *rc::gen::inRange(0, 10);
    if (shape == 0) continue;
    if (shape == 1) {
      report[uuid] = json::object();
      continue;
    }
    if (shape == 2) {
      report[uuid] = "damaged";
      continue;
    }
    json device = json::object();
    for (const std::string& field : kFields) {
      if (*rc::gen::inRange(0, 3) != 0) device[field] = *gen_value(field);
    }
    report[uuid] = device;
  }
  return report;
}

double bucket_of(const std::string& field) {
  if (field == "cpu_usage") return 20.0;
  if (field == "cpu_temp") return 5.0;
  if (field == "memory_usage") return 10.0;
  return 0.0;
}

bool same_bucket(const std::string& field, const json& a, const json& b) {
  const double bucket = bucket_of(field);
  return bucket > 0 && a.is_number() && b.is_number() &&
         std::floor(a.get<double>() / bucket) == std::floor(b.get<double>() / bucket);
}

}  // namespace

namespace {

using DiffFn = json (*)(const json&, const json&);

void diff_applies(DiffFn diff_of) {
  // What the cloud accepted is built from pruned diffs, so it holds no
  // empty object.
  const json last = engine::cloud::prune_empty(gen_report());
  const json current = gen_report();
  const json diff = diff_of(last, current);
  const json applied = engine::cloud::apply_accepted_report(last, diff);

  // Nothing left to send, and the same report again sends nothing.
  RC_ASSERT(engine::cloud::report_diff(applied, current).empty());
  RC_ASSERT(engine::cloud::report_diff(current, current).empty());
  // A diff is pruned: no empty object is sent.
  RC_ASSERT(engine::cloud::prune_empty(diff) == diff);

  const json now = engine::cloud::prune_empty(current);
  for (const auto& [uuid, device] : now.items()) {
    if (!device.is_object()) continue;
    for (const auto& [field, value] : device.items()) {
      const json& got = applied.at(uuid).at(field);
      if (got == value) continue;
      // Only a metric that stayed in its bucket keeps the accepted value.
      // (Computed apart: RC_ASSERT's expression capture overloads ||, which
      // then evaluates both sides, and diff[uuid] of a missing key is
      // undefined behaviour; a Debug build's assertion caught it.)
      const bool diff_sends = diff.contains(uuid) && diff[uuid].contains(field);
      RC_ASSERT(!diff_sends);
      RC_ASSERT(same_bucket(field, got, value));
    }
  }
  // Fields that disappeared are not sent (no nulls), so the accepted
  // report still holds them.
  for (const auto& [uuid, device] : last.items()) {
    if (!device.is_object()) continue;
    for (const auto& [field, value] : device.items()) {
      const bool current_has = now.contains(uuid) && now[uuid].is_object() && now[uuid].contains(field);
      if (!current_has) RC_ASSERT(applied.at(uuid).at(field) == value);
    }
  }
}

// A planted bug: metrics are never sent once the cloud has a value.
json diff_without_metric_updates(const json& last, const json& current) {
  json diff = engine::cloud::report_diff(last, current);
  for (auto& [uuid, device] : diff.items()) {
    for (const char* metric : {"cpu_usage", "cpu_temp", "memory_usage"}) {
      if (last.contains(uuid) && last[uuid].is_object() && last[uuid].contains(metric)) device.erase(metric);
    }
  }
  return engine::cloud::prune_empty(diff);
}

}  // namespace

TEST_CASE("report diff: applying the diff to the last report gives the new one", "[property]") {
  property_tests::catch_prop("report diff applies", [] { diff_applies(engine::cloud::report_diff); });
}

TEST_CASE("report diff applies catches a diff that never updates a metric", "[planted]") {
  CHECK_FALSE(rc::check("planted: metrics never updated", [] { diff_applies(diff_without_metric_updates); }));
}

TEST_CASE("report diff: after a failed report, the next one carries every field it carried", "[property]") {
  property_tests::catch_prop("failed report merged", [] {
    const json last = gen_report();
    const json failed = engine::cloud::report_diff(last, gen_report());
    const json current = gen_report();
    const json diff = engine::cloud::report_diff(last, current);
    const json merged = engine::cloud::merge_failed_report(failed, current, diff);

    const json now = engine::cloud::prune_empty(current);
    for (const auto& [uuid, device] : diff.items()) {
      for (const auto& [field, value] : device.items()) RC_ASSERT(merged.at(uuid).at(field) == value);
    }
    for (const auto& [uuid, device] : failed.items()) {
      for (const auto& [field, ignored] : device.items()) {
        const bool current_has = now.contains(uuid) && now[uuid].is_object() && now[uuid].contains(field);
        RC_ASSERT(current_has == (merged.contains(uuid) && merged[uuid].contains(field)));
        if (current_has) RC_ASSERT(merged[uuid][field] == now[uuid][field]);
      }
    }
    // Nothing the current report does not hold is sent.
    for (const auto& [uuid, device] : merged.items()) {
      for (const auto& [field, value] : device.items()) RC_ASSERT(now.at(uuid).at(field) == value);
    }
  });
}

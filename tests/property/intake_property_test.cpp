// Target intake (issue 17): a refused target leaves the stored target
// unchanged. The device keeps the last target the reader accepted; here
// that is modelled as `stored = parsed if accepted else stored`, and the
// property is about the reader: any valid local target is accepted, and
// the same target with one value corrupted (a name Docker refuses, a commit
// with '/', an id out of range, a non-string environment value) is refused
// with the pointer of exactly that value, so the stored one stays.
#include "catch_prop.hpp"

#include <fmt/format.h>

#include <cstdint>
#include <string>
#include <vector>

#include "reconcile/json.hpp"

namespace {

using nlohmann::json;

constexpr std::int64_t kMaxId = (std::int64_t{1} << 53) - 1;

rc::Gen<std::string> gen_from(const std::string& alphabet, std::size_t min, std::size_t max) {
  return rc::gen::exec([alphabet, min, max] {
    const auto size = *rc::gen::inRange(min, max + 1);
    std::string out;
    for (std::size_t i = 0; i < size; ++i) out += alphabet[*rc::gen::inRange<std::size_t>(0, alphabet.size())];
    return out;
  });
}

const std::string kAlnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

// A valid local target body with one app and 1 to 4 services.
json gen_local_target(std::int64_t app_id) {
  json services = json::object();
  const auto count = *rc::gen::inRange(1, 5);
  for (int i = 0; i < count; ++i) {
    // Distinct by the index; any character Docker allows after the first.
    const std::string name = *gen_from(kAlnum, 1, 1) + fmt::to_string(i) + *gen_from(kAlnum + "_.-", 0, 12);
    json environment = json::object();
    for (int e = *rc::gen::inRange(0, 3); e > 0; --e) {
      environment[*gen_from("ABCXYZ_", 1, 1) + *gen_from(kAlnum + "_", 0, 8)] = *gen_from(kAlnum + " =/:", 0, 10);
    }
    services[fmt::to_string(i + 1)] = {{"serviceName", name},
                                       {"imageId", *rc::gen::inRange<std::int64_t>(0, kMaxId)},
                                       {"image", "img:" + *gen_from(kAlnum, 1, 10)},
                                       {"environment", environment},
                                       {"networks", json::array({"backend"})}};
  }
  return {{"local",
           {{"name", "dev"},
            {"apps",
             {{fmt::to_string(app_id),
               {{"commit", *gen_from("0123456789abcdef", 0, 40)},
                {"releaseId", *rc::gen::inRange<std::int64_t>(0, kMaxId)},
                {"services", services},
                {"networks", {{"backend", json::object()}}}}}}}}}};
}

struct Corruption {
  std::string pointer;  // relative to the app
  json value;
};

// One value of the app corrupted; the pointer the reader must name.
Corruption gen_corruption(const json& app) {
  std::vector<std::string> service_keys;
  for (const auto& [key, value] : app["services"].items()) service_keys.push_back(key);
  const std::string service = "/services/" + *rc::gen::elementOf(service_keys);
  const json bad_names = json::array({"../../etc", "../../../../tmp/x", "wéb", "", "a/b", ".x", "-x", "a b",
                                      std::string(256, 'a')});
  const json bad_ids = json::array({json(std::uint64_t{1} << 63), json(-1), json(kMaxId + 1), json(1.5),
                                    json(std::uint64_t{18446744073709551615ULL}), json(nullptr), json::array()});
  switch (*rc::gen::inRange(0, 5)) {
    case 0:
      return {service + "/serviceName", bad_names[*rc::gen::inRange<std::size_t>(0, bad_names.size())]};
    case 1:
      return {"/commit", *rc::gen::elementOf(std::vector<std::string>{"a/b", "a_b", ".x", "../x", "é"})};
    case 2:
      return {"/releaseId", bad_ids[*rc::gen::inRange<std::size_t>(0, bad_ids.size())]};
    case 3:
      return {service + "/imageId", bad_ids[*rc::gen::inRange<std::size_t>(0, bad_ids.size() - 2)]};
    default:
      return {service + "/environment/X",
              *rc::gen::elementOf(std::vector<json>{json(1), json(true), json(nullptr), json::array({"x"}),
                                                    json::object()})};
  }
}

}  // namespace

TEST_CASE("target intake: a refused target leaves the stored target unchanged") {
  property_tests::catch_prop("a valid target is stored; the same target with one bad value is refused at that value's pointer",
           [] {
             const auto app_id = *rc::gen::inRange<std::int64_t>(0, kMaxId);
             const json valid = gen_local_target(app_id);
             const auto accepted = reconcile::parse_local_target_state(valid);
             RC_ASSERT(accepted.ok());
             const reconcile::State stored = accepted.value().target;

             const std::string app = fmt::format("/local/apps/{}", app_id);
             const Corruption corruption = gen_corruption(valid.at(json::json_pointer(app)));
             json posted = valid;
             posted[json::json_pointer(app + corruption.pointer)] = corruption.value;
             const auto refused = reconcile::parse_local_target_state(posted);
             RC_ASSERT_FALSE(refused.ok());
             RC_ASSERT(refused.error().pointer == app + corruption.pointer);

             const reconcile::State after = refused.ok() ? refused.value().target : stored;
             RC_ASSERT(after == stored);
           });
}

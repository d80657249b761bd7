// Which volumes /v2/cleanup-volumes removes (host_volumes.hpp).
#include <catch2/catch.hpp>

#include "host_volumes.hpp"

using supervisor::api::KeyScope;
using supervisor::volumes_to_remove;

namespace {

const supervisor::VolumeInventory kEngine{
    {"1_data", "1_cache", "1_old", "2_data", "2_old", "12_x", "someones-volume", "3_mounted"},
    {"1_data", "3_mounted"}};

}  // namespace

TEST_CASE("the global key removes every volume no container mounts and no target app declares, as balena") {
  CHECK(volumes_to_remove(kEngine, {"1_cache", "2_data"}, KeyScope{}) ==
        std::vector<std::string>{"12_x", "1_old", "2_old", "someones-volume"});
}

TEST_CASE("a key scoped to one app removes only that app's volumes (local-api.md §7 decided)") {
  CHECK(volumes_to_remove(kEngine, {"1_cache"}, KeyScope{1}) == std::vector<std::string>{"1_old"});
  CHECK(volumes_to_remove(kEngine, {"2_data"}, KeyScope{2}) == std::vector<std::string>{"2_old"});
  CHECK(volumes_to_remove(kEngine, {}, KeyScope{12}) == std::vector<std::string>{"12_x"});
  CHECK(volumes_to_remove(kEngine, {}, KeyScope{4}).empty());
}

TEST_CASE("mounted volumes stay whatever the scope") {
  CHECK(volumes_to_remove({{"3_mounted"}, {"3_mounted"}}, {}, KeyScope{}).empty());
  CHECK(volumes_to_remove({{"3_mounted"}, {"3_mounted"}}, {}, KeyScope{3}).empty());
}

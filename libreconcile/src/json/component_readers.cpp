// Networks and volumes in their compose JSON form ({"name", "appId",
// "appUuid", "config"}), as the compose module reads them back from the
// engine, turned into the planner's types.
#include <fmt/format.h>

#include "json/model_readers.hpp"
#include "reconcile/json.hpp"

namespace reconcile {
namespace {

template <typename Component, typename ReadConfig>
Parsed<Component> component_from_json(const nlohmann::json& json, ReadConfig read_config) {
  try {
    const detail::Reader reader(json, "");
    reader.expect_object();
    Component component;
    component.name = reader.at("name").as_string();
    component.app_id = reader.at("appId").as_int();
    const auto uuid = reader.optional_string("appUuid");
    component.app_uuid = uuid.value_or(fmt::to_string(component.app_id));
    if (reader.has("config")) component.config = read_config(reader.at("config"));
    return component;
  } catch (const detail::FieldError& error) {
    return ParseError{error.pointer, error.message};
  }
}

}  // namespace

Parsed<Network> network_from_json(const nlohmann::json& json) {
  return component_from_json<Network>(json, detail::read_network_config);
}

Parsed<Volume> volume_from_json(const nlohmann::json& json) {
  return component_from_json<Volume>(json, detail::read_volume_config);
}

}  // namespace reconcile

#include "engine/runtime/names.hpp"

#include <fmt/format.h>

#include <charconv>

namespace engine::names {
namespace {

std::optional<std::int64_t> number(std::string_view text) {
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace

std::string container_name(const reconcile::Service& service) {
  return fmt::format("{}_{}_{}_{}", service.service_name, service.image_id, service.release_id, service.commit);
}

std::optional<ContainerName> parse_container_name(const std::string& name) {
  std::string_view rest = name;
  if (rest.starts_with("/")) rest.remove_prefix(1);
  if (rest.starts_with("old_")) rest.remove_prefix(4);
  // From the right: commit, releaseId, imageId; what is left is the service.
  const auto commit_at = rest.rfind('_');
  if (commit_at == std::string_view::npos) return std::nullopt;
  const auto release_at = rest.rfind('_', commit_at - 1);
  if (release_at == std::string_view::npos || release_at == 0) return std::nullopt;
  const auto image_at = rest.rfind('_', release_at - 1);
  if (image_at == std::string_view::npos || image_at == 0) return std::nullopt;
  const auto image_id = number(rest.substr(image_at + 1, release_at - image_at - 1));
  const auto release_id = number(rest.substr(release_at + 1, commit_at - release_at - 1));
  if (!image_id || !release_id) return std::nullopt;
  return ContainerName{std::string(rest.substr(0, image_at)), *image_id, *release_id,
                       std::string(rest.substr(commit_at + 1))};
}

std::string network_name(const reconcile::Network& network) {
  return fmt::format("{}_{}", network.app_uuid, network.name);
}

std::string volume_name(const reconcile::Volume& volume) {
  return fmt::format("{}_{}", volume.app_id, volume.name);
}

std::optional<std::string> strip_prefix(const std::string& engine_name, const std::string& prefix) {
  if (engine_name.size() <= prefix.size() + 1 || !engine_name.starts_with(prefix) ||
      engine_name[prefix.size()] != '_') {
    return std::nullopt;
  }
  return engine_name.substr(prefix.size() + 1);
}

}  // namespace engine::names

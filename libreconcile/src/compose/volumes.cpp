// Service volumes. Compose has a short syntax ("name:/path:ro", "/path")
// and a long one ({"type", "source", "target", ...}); the engine takes
// Binds, anonymous Volumes and Mounts. Normalization namespaces named
// volumes by app id (APPID_NAME) and drops user bind mounts, which balena
// does not allow (feature labels add the binds it does allow afterwards);
// the engine's three lists are read back into the same normalized form.
#include "compose/internal.hpp"

namespace reconcile::compose::detail {
namespace {

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    const auto pos = text.find(separator, start);
    out.push_back(trim(text.substr(start, pos == std::string::npos ? std::string::npos : pos - start)));
    if (pos == std::string::npos) break;
    start = pos + 1;
  }
  return out;
}

bool is_path(const std::string& source) {
  return starts_with(source, "/") || starts_with(source, ".") || starts_with(source, "~");
}

// A short entry: "" when it is dropped (a bind mount).
std::string normalize_short(const std::string& entry, std::int64_t app_id) {
  const auto parts = split(entry, ':');
  if (parts.size() == 1) return parts[0];  // anonymous volume
  if (is_path(parts[0])) return "";        // user bind mount: not allowed
  // APPID_NAME, then the rest of the entry as it was.
  return app_volume_name(app_id, fmt::format("{}", fmt::join(parts, ":")));
}

// A long entry in canonical form, or null when it is dropped or malformed.
json normalize_long(const json& entry, std::int64_t app_id) {
  const std::string type = entry.value("type", "");
  const json& target = entry.contains("target") ? entry["target"] : json();
  if (!target.is_string() || target.get<std::string>().empty()) return nullptr;
  const json& source_json = entry.contains("source") ? entry["source"] : json();
  if (!source_json.is_null() && !source_json.is_string()) return nullptr;
  const std::string source = source_json.is_string() ? source_json.get<std::string>() : "";
  json out = {{"type", type}, {"target", target}};
  if (type == "volume") {
    if (!source.empty()) {
      if (is_path(source)) return nullptr;
      out["source"] = app_volume_name(app_id, source);
    }
    if (entry.contains("volume") && entry["volume"].is_object() && truthy(entry["volume"].value("nocopy", json(false)))) {
      out["volume"] = {{"nocopy", true}};
    }
  } else if (type == "tmpfs") {
    if (!source.empty()) return nullptr;
    if (entry.contains("tmpfs") && entry["tmpfs"].is_object() && entry["tmpfs"].contains("size")) {
      const json& size = entry["tmpfs"]["size"];
      if (size.is_number() || size.is_string()) out["tmpfs"] = {{"size", memory_bytes(size, "/composition/volumes")}};
    }
  } else {
    // bind with an absolute source is a user bind mount (not allowed);
    // anything else (bind without one, unknown types) is malformed.
    return nullptr;
  }
  if (entry.contains("readOnly") && truthy(entry["readOnly"])) out["readOnly"] = true;
  return out;
}

}  // namespace

json normalize_volumes(const json& volumes, std::int64_t app_id, const std::string& pointer) {
  json out = json::array();
  if (volumes.is_null()) return out;
  if (!volumes.is_array()) fail(pointer, "must be a list of volumes");
  for (std::size_t i = 0; i < volumes.size(); ++i) {
    const json& entry = volumes[i];
    if (entry.is_string()) {
      const auto normalized = normalize_short(entry.get<std::string>(), app_id);
      if (!normalized.empty()) out.push_back(normalized);
    } else if (entry.is_object()) {
      json normalized = normalize_long(entry, app_id);
      if (!normalized.is_null()) out.push_back(std::move(normalized));
    } else {
      fail(child_pointer(pointer, i), "must be a string or an object");
    }
  }
  return out;
}

void volumes_to_engine(const json& volumes, json& binds, json& anonymous, json& mounts) {
  for (const auto& entry : volumes) {
    if (entry.is_string()) {
      const auto text = entry.get<std::string>();
      if (text.find(':') == std::string::npos) anonymous[text] = json::object();
      else binds.push_back(text);
      continue;
    }
    if (!entry.is_object()) continue;
    const std::string type = entry.value("type", "");
    json mount = {{"Type", type}, {"Target", entry.value("target", "")}};
    if (entry.contains("source")) mount["Source"] = entry["source"];
    if (entry.value("readOnly", false)) mount["ReadOnly"] = true;
    if (entry.contains("bind") && entry["bind"].contains("propagation")) {
      mount["BindOptions"] = {{"Propagation", entry["bind"]["propagation"]}};
    }
    if (entry.contains("volume") && entry["volume"].value("nocopy", false)) {
      mount["VolumeOptions"] = {{"NoCopy", true}};
    }
    if (entry.contains("tmpfs") && entry["tmpfs"].contains("size")) {
      mount["TmpfsOptions"] = {{"SizeBytes", entry["tmpfs"]["size"]}};
    }
    mounts.push_back(std::move(mount));
  }
}

json volumes_from_engine(const json& binds, const json& config_volumes, const json& mounts) {
  json out = json::array();
  if (binds.is_array()) {
    for (const auto& bind : binds) {
      if (bind.is_string()) out.push_back(bind);
    }
  }
  if (config_volumes.is_object()) {
    for (const auto& [path, _] : config_volumes.items()) out.push_back(path);
  }
  if (mounts.is_array()) {
    for (const auto& mount : mounts) {
      if (!mount.is_object()) continue;
      json entry = {{"type", mount.value("Type", "")}, {"target", mount.value("Target", "")}};
      if (const std::string source = mount.value("Source", ""); !source.empty()) entry["source"] = source;
      if (mount.value("ReadOnly", false)) entry["readOnly"] = true;
      if (mount.contains("BindOptions") && mount["BindOptions"].is_object() &&
          mount["BindOptions"].contains("Propagation")) {
        entry["bind"] = {{"propagation", mount["BindOptions"]["Propagation"]}};
      }
      if (mount.contains("VolumeOptions") && mount["VolumeOptions"].is_object() &&
          mount["VolumeOptions"].value("NoCopy", false)) {
        entry["volume"] = {{"nocopy", true}};
      }
      if (mount.contains("TmpfsOptions") && mount["TmpfsOptions"].is_object() &&
          mount["TmpfsOptions"].contains("SizeBytes")) {
        entry["tmpfs"] = {{"size", mount["TmpfsOptions"]["SizeBytes"]}};
      }
      out.push_back(std::move(entry));
    }
  }
  return out;
}

json tmpfs_list(const json& tmpfs, const std::string& pointer) {
  if (tmpfs.is_null()) return json::array();
  return string_list(tmpfs, pointer);
}

}  // namespace reconcile::compose::detail

// The state copy: the target and the config values written, beside the
// database, to a second file of their own, so that a damaged database file
// does not take the device's release and identity with it (docs/store.md,
// "The state copy"). This part knows the file's format and how it is written;
// kept_state.hpp decides when.
//
// The file is one header line and a JSON body:
//
//   supervisor-state-copy 1 <body length in bytes> <CRC-32 of the body, 8 hex>\n
//   {"config":{...},"target":null | {"name":...,"config":{...},"apps":[...]}}
//
// A copy whose header, length, checksum or JSON does not check out is
// damaged and is never used.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "engine/store/result.hpp"
#include "engine/store/types.hpp"
#include "sqlite.hpp"

namespace engine::store::detail {

// What the copy keeps: what the device cannot get back by itself when the
// database is lost. The target (offline or in local mode nothing else says
// what to run) and the config values (the uuid and the local API key of a
// device without config.json, targetStateSet, pinDevice, the SUPERVISOR_*
// settings). Image records and commits are not kept: the snapshot reads them
// again from the engine and the planner records them again.
struct KeptState {
  std::optional<Target> target;  // nullopt: no target stored yet
  std::map<std::string, std::string> config;

  [[nodiscard]] bool empty() const { return !target && config.empty(); }
  friend bool operator==(const KeptState&, const KeptState&) = default;
};

// "<database>-state": beside the database, under a name SQLite never uses
// and that the corrupt-file renaming (`<database>.corrupt-...`) leaves alone.
[[nodiscard]] std::filesystem::path copy_path(const std::filesystem::path& database);

// The file's whole text.
[[nodiscard]] std::string encode_copy(const KeptState& state);
// The state the text holds; ErrorKind::StoredData naming what does not check
// out (header, length, checksum, JSON, the target) when it is damaged.
[[nodiscard]] Result<KeptState> decode_copy(std::string_view text);

// Replaces `path` with `text` so that a crash at any point leaves either the
// old file or the new one, never a mix: a temporary file beside it, written
// and fsync'ed, renamed over it, and the folder fsync'ed so that the rename
// itself survives a power cut. ErrorKind::FileSystem on failure; the
// temporary file is removed.
[[nodiscard]] Status write_atomically(const std::filesystem::path& path, std::string_view text,
                                      std::string_view operation);

// The whole file, or nullopt when there is none. ErrorKind::FileSystem when
// it exists but cannot be read.
[[nodiscard]] Result<std::optional<std::string>> read_whole(const std::filesystem::path& path,
                                                            std::string_view operation);

}  // namespace engine::store::detail

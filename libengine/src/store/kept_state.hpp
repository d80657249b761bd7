// Keeping the state copy in step with the database (docs/store.md, "The
// state copy"): every write that changes the target or a config value
// rewrites the copy before it commits; open() compares the two and repairs
// whichever is missing or damaged.
#pragma once

#include <filesystem>
#include <optional>
#include <string_view>

#include "engine/store/store.hpp"
#include "state_copy.hpp"
#include "store_impl.hpp"

namespace engine::store::detail {

// target.cpp. Both run inside the caller's transaction.
// Writes the rows of `target` that differ from the stored ones; true when a
// row was written.
[[nodiscard]] Result<bool> write_target(Store::Impl& impl, const Target& target, std::string_view operation);
// The stored target, nullopt when none was ever stored.
[[nodiscard]] Result<std::optional<Target>> read_target(Store::Impl& impl, std::string_view operation);

// The kept state as the database holds it, inside the caller's transaction
// (so a write sees its own uncommitted rows).
[[nodiscard]] Result<KeptState> read_kept(Store::Impl& impl, std::string_view operation);

// Writes the copy from the database's kept state, inside the caller's write
// transaction and before its commit, unless the file already holds exactly
// that text. A failure is returned and the caller rolls back: the database
// never holds a state the copy does not.
[[nodiscard]] Status keep_copy(Store::Impl& impl, std::string_view operation);

// Writes `state` into a database that holds no kept state (fresh), in one
// transaction together with the copy.
[[nodiscard]] Status restore_kept(Store::Impl& impl, const KeptState& state);

// The kept state read from a damaged database file (read-only), when SQLite
// can still read it and the integrity check of the tables it comes from
// answers ok. ErrorKind::Corrupt or Sqlite naming what failed otherwise.
[[nodiscard]] Result<KeptState> salvage(const std::filesystem::path& damaged, const StoreOptions& options);

// open(): compares the copy with the database just opened and settles
// them. `recovery`: set when the database was found corrupt and moved aside.
// Fails only when restoring into the fresh database fails.
[[nodiscard]] Result<CopyOutcome> settle_copy(Store::Impl& impl, const std::optional<Recovery>& recovery);

}  // namespace engine::store::detail

// open(): the database and the state copy compared and settled. The
// database is the truth while it holds any kept state; a database holding
// none (fresh after a recovery, or deleted by hand) takes the copy's, so
// that a crash between creating a fresh database and restoring into it
// cannot let the empty database overwrite the only good copy.
#include <fmt/format.h>

#include <system_error>

#include "kept_state.hpp"

namespace engine::store::detail {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kOperation = "open: state copy";

// The copy as read: its text and what it holds, or why it cannot be used.
struct ReadCopy {
  bool present = false;             // a file is there (readable or not)
  std::optional<std::string> text;  // what it holds, when it could be read
  std::optional<KeptState> state;   // set when the text checks out
  std::string problem;              // why it cannot be used, when present
};

ReadCopy read_copy(const fs::path& path) {
  ReadCopy copy;
  auto text = read_whole(path, kOperation);
  if (!text) {
    copy.present = true;
    copy.problem = text.error().describe();
    return copy;
  }
  copy.text = std::move(text).value();
  copy.present = copy.text.has_value();
  if (!copy.present) return copy;
  auto decoded = decode_copy(*copy.text);
  if (decoded) {
    copy.state = std::move(decoded).value();
  } else {
    copy.problem = decoded.error().describe();
  }
  return copy;
}

Result<KeptState> database_state(Store::Impl& impl) {
  auto transaction = Transaction::begin(impl.db.get(), TransactionKind::Read, kOperation);
  if (!transaction) return transaction.error();
  auto state = read_kept(impl, kOperation);
  if (!state) return state.error();
  if (auto error = transaction->commit(kOperation)) return *error;
  return state;
}

// A damaged copy found with a damaged database is kept beside it, as the
// database is, rather than overwritten by the next write.
void keep_damaged_copy(const fs::path& copy, const Recovery& recovery, std::string& detail) {
  const fs::path aside = copy_path(recovery.moved_to);
  std::error_code ec;
  fs::rename(copy, aside, ec);
  detail += ec ? fmt::format(" (it could not be moved to {}: {})", aside.string(), ec.message())
               : fmt::format(" (moved to {})", aside.string());
}

}  // namespace

Result<CopyOutcome> settle_copy(Store::Impl& impl, const std::optional<Recovery>& recovery) {
  const fs::path path = copy_path(impl.options.path);
  ReadCopy copy = read_copy(path);
  auto stored = database_state(impl);
  if (!stored) {
    // A database that opens but whose target does not read (a row this code
    // cannot parse) must not stop the daemon from starting: Store::target()
    // reports it again to the daemon, which waits for a new target. Both
    // files stay as they are; the next state write settles them.
    return CopyOutcome{CopyAction::Kept, "the database's target and config could not be read to compare",
                       stored.error()};
  }

  if (stored->empty()) {
    if (copy.state && !copy.state->empty()) {
      impl.copy_text = copy.text;
      if (auto error = restore_kept(impl, *copy.state)) return *error;
      return CopyOutcome{CopyAction::Restored,
                         recovery ? "the state copy checked out" : "the database held no state; the copy did", {}};
    }
    // A copy that says there is nothing to keep is as good as the
    // database. With no copy at all, there is nothing to keep unless a
    // damaged database is there to salvage.
    if (copy.state || (!copy.present && !recovery)) {
      impl.copy_text = copy.text;
      return CopyOutcome{CopyAction::Kept, "", {}};
    }
    if (recovery) {
      std::string why = copy.present ? fmt::format("the state copy is damaged: {}", copy.problem)
                                     : fmt::format("there is no state copy {}", path.string());
      if (copy.present) keep_damaged_copy(path, *recovery, why);
      auto salvaged = salvage(recovery->moved_to, impl.options);
      if (salvaged && !salvaged->empty()) {
        if (auto error = restore_kept(impl, salvaged.value())) return *error;
        return CopyOutcome{CopyAction::Salvaged, std::move(why), {}};
      }
      why += salvaged ? "; the damaged database holds no state either"
                      : fmt::format("; the damaged database cannot be read: {}", salvaged.error().describe());
      return CopyOutcome{CopyAction::Lost, std::move(why), {}};
    }
  } else if (copy.state && *copy.state == stored.value()) {
    impl.copy_text = copy.text;
    return CopyOutcome{CopyAction::Kept, "", {}};
  }

  // The database holds the truth (or nothing, beside a damaged copy): the
  // copy is written again from it.
  std::string why = !copy.present ? std::string("there was no state copy")
                    : !copy.state  ? fmt::format("the state copy was damaged: {}", copy.problem)
                                   : std::string("the state copy was stale: it differed from the database");
  const std::string text = encode_copy(stored.value());
  if (auto error = write_atomically(path, text, kOperation)) {
    return CopyOutcome{CopyAction::Rewritten, std::move(why), *error};
  }
  impl.copy_text = text;
  return CopyOutcome{CopyAction::Rewritten, std::move(why), {}};
}

}  // namespace engine::store::detail

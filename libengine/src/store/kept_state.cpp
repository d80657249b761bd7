// Reading the kept state from the database, writing the copy from it, and
// putting it back into a fresh database.
#include "kept_state.hpp"

#include <fmt/format.h>

namespace engine::store::detail {

Result<KeptState> read_kept(Store::Impl& impl, std::string_view operation) {
  KeptState state;
  auto target = read_target(impl, operation);
  if (!target) return target.error();
  state.target = std::move(target).value();
  if (auto error = impl.for_each_row(
          "SELECT key, value FROM config", fmt::format("{}: read config", operation), [](Use&) {},
          [&](Use& use) { state.config.emplace(use.text(0), use.text(1)); })) {
    return *error;
  }
  return state;
}

Status keep_copy(Store::Impl& impl, std::string_view operation) {
  auto state = read_kept(impl, operation);
  if (!state) return state.error();
  std::string text = encode_copy(state.value());
  if (impl.copy_text == text) return std::nullopt;
  // Unknown until the write succeeds: a failed write may have left either.
  impl.copy_text.reset();
  const std::string write = fmt::format("{}: write state copy", operation);
  if (auto error = write_atomically(copy_path(impl.options.path), text, write)) return error;
  impl.copy_text = std::move(text);
  return std::nullopt;
}

Status restore_kept(Store::Impl& impl, const KeptState& state) {
  constexpr std::string_view kOperation = "open: restore the kept state";
  auto transaction = Transaction::begin(impl.db.get(), TransactionKind::Write, kOperation);
  if (!transaction) return transaction.error();
  if (state.target) {
    auto written = write_target(impl, *state.target, kOperation);
    if (!written) return written.error();
  }
  // Not a structured binding: clang 14 (the fuzz build) cannot capture one in a lambda.
  for (const auto& entry : state.config) {
    if (auto error = impl.run("INSERT OR REPLACE INTO config (key, value) VALUES (?1, ?2)",
                              fmt::format("{}: config {}", kOperation, entry.first),
                              [&](Use& use) { use.bind(1, entry.first).bind(2, entry.second); })) {
      return error;
    }
  }
  if (auto error = keep_copy(impl, kOperation)) return error;
  return transaction->commit(kOperation);
}

}  // namespace engine::store::detail

// A value or an error, for the adapters' calls (the Docker client, the
// store): each adapter names its own Error type and aliases Result<T>.
#pragma once

#include <utility>
#include <variant>

namespace engine {

template <class T, class E>
class [[nodiscard]] ResultOf {
 public:
  ResultOf(T value) : state_(std::move(value)) {}  // NOLINT: implicit on purpose
  ResultOf(E error) : state_(std::move(error)) {}  // NOLINT: implicit on purpose

  [[nodiscard]] bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }
  // Precondition: ok().
  [[nodiscard]] T& value() & { return std::get<0>(state_); }
  [[nodiscard]] const T& value() const& { return std::get<0>(state_); }
  [[nodiscard]] T&& value() && { return std::get<0>(std::move(state_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  // Precondition: !ok().
  [[nodiscard]] const E& error() const { return std::get<1>(state_); }

 private:
  std::variant<T, E> state_;
};

// Success or an error, for calls that return nothing. Each adapter aliases
// (or extends) it with its own Error type.
template <class E>
class [[nodiscard]] StatusOf {
 public:
  StatusOf() = default;
  StatusOf(E error) : error_(std::move(error)), failed_(true) {}  // NOLINT: implicit on purpose

  [[nodiscard]] bool ok() const { return !failed_; }
  explicit operator bool() const { return ok(); }
  // Precondition: !ok().
  [[nodiscard]] const E& error() const { return error_; }

 private:
  E error_;
  bool failed_ = false;
};

}  // namespace engine

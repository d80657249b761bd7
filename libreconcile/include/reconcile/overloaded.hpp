// One lambda per alternative for std::visit. Visitors over reconcile::Step
// list every step type and have no catch-all, so a new step type fails to
// compile until every visitor handles it.
#pragma once

namespace reconcile {

template <class... Fs>
struct Overloaded : Fs... {
  using Fs::operator()...;
};
template <class... Fs>
Overloaded(Fs...) -> Overloaded<Fs...>;

}  // namespace reconcile

#include "reconcile/testing/show.hpp"

#include "reconcile/json.hpp"
#include "reconcile/plan_text.hpp"

namespace reconcile {

std::ostream& operator<<(std::ostream& os, const Step& step) { return os << explain(step); }
std::ostream& operator<<(std::ostream& os, const Service& service) { return os << to_json(service).dump(); }
std::ostream& operator<<(std::ostream& os, const Image& image) { return os << to_json(image).dump(); }
std::ostream& operator<<(std::ostream& os, const Network& network) { return os << to_json(network).dump(); }
std::ostream& operator<<(std::ostream& os, const Volume& volume) { return os << to_json(volume).dump(); }
std::ostream& operator<<(std::ostream& os, const App& app) { return os << to_json(app).dump(); }
std::ostream& operator<<(std::ostream& os, const State& state) { return os << to_json(state).dump(); }
std::ostream& operator<<(std::ostream& os, const Context& context) { return os << to_json(context).dump(); }
std::ostream& operator<<(std::ostream& os, const World& world) {
  return os << "{\"current\": " << world.current << ", \"context\": " << world.context << "}";
}

namespace testing {

std::string show_batch(const std::vector<Step>& batch, const std::string& indent) {
  std::string out;
  for (const Step& step : batch) out += indent + explain(step) + "\n";
  if (batch.empty()) out += indent + "(empty)\n";
  return out;
}

}  // namespace testing
}  // namespace reconcile

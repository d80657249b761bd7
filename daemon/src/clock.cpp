#include "clock.hpp"

namespace supervisor {

Clock& steady_clock() {
  static SteadyClock clock;
  return clock;
}

}  // namespace supervisor

// A cheap hash for the long, mostly-unique strings the planner looks up
// (image references end in random digests, container ids are random): the
// length, the first 8 and the last 24 bytes, a word at a time. Collisions
// only cost time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace reconcile::detail {

struct FastHash {
  std::size_t operator()(std::string_view text) const noexcept {
    std::uint64_t hash = 0x9e3779b97f4a7c15ULL * (text.size() + 1);
    const auto mix = [&hash](std::uint64_t word) {
      hash = (hash ^ word) * 0xbf58476d1ce4e5b9ULL;
      hash ^= hash >> 31;
    };
    if (text.size() < 8) {
      std::uint64_t word = 0;
      std::memcpy(&word, text.data(), text.size());
      mix(word);
    } else {
      // The first word and the last three (they overlap for short strings).
      const std::size_t n = text.size();
      for (std::size_t offset : {std::size_t{0}, n > 24 ? n - 24 : 0, n > 16 ? n - 16 : 0, n - 8}) {
        std::uint64_t word = 0;
        std::memcpy(&word, text.data() + offset, 8);
        mix(word);
      }
    }
    return static_cast<std::size_t>(hash);
  }
};

}  // namespace reconcile::detail

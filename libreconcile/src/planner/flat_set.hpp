// An insert-only hash set with open addressing: one allocation for the
// whole table instead of one per element, which is what the planner's
// per-call indexes (a few thousand image names) need. Keys are views; the
// strings they point into must outlive the set.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace reconcile::detail {

template <typename Key, typename Hash>
class FlatSet {
 public:
  explicit FlatSet(std::size_t expected = 0) { rehash(capacity_for(expected)); }

  void insert(const Key& key) {
    if (2 * (size_ + 1) > slots_.size()) rehash(2 * slots_.size());
    if (place(key)) ++size_;
  }

  [[nodiscard]] bool contains(const Key& key) const {
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = Hash{}(key)&mask;; i = (i + 1) & mask) {
      if (!used_[i]) return false;
      if (slots_[i] == key) return true;
    }
  }

  [[nodiscard]] bool empty() const { return size_ == 0; }
  [[nodiscard]] std::size_t size() const { return size_; }

 private:
  static std::size_t capacity_for(std::size_t expected) {
    std::size_t capacity = 16;
    while (capacity < 2 * expected) capacity *= 2;
    return capacity;
  }

  // Returns whether the key was new.
  bool place(const Key& key) {
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = Hash{}(key)&mask;; i = (i + 1) & mask) {
      if (!used_[i]) {
        used_[i] = 1;
        slots_[i] = key;
        return true;
      }
      if (slots_[i] == key) return false;
    }
  }

  void rehash(std::size_t capacity) {
    std::vector<Key> old_slots(capacity);
    std::vector<std::uint8_t> old_used(capacity, 0);
    old_slots.swap(slots_);
    old_used.swap(used_);
    for (std::size_t i = 0; i < old_slots.size(); ++i) {
      if (old_used[i]) place(old_slots[i]);
    }
  }

  std::vector<Key> slots_;
  std::vector<std::uint8_t> used_;
  std::size_t size_ = 0;
};

}  // namespace reconcile::detail

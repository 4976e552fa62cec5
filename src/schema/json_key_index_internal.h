// KeyIndex: the encoder's map from an object key to the index of the field it names, one per STRUCT
// level and one for the top level. Internal to src/schema.
//
// Header-only on purpose: Find runs for every key of every event and must stay inline-able into the
// encoder. Lifecycle: built once when an encoder compiles its schema, then only read. The names it
// holds are views of the StreamDefinition's field names, which outlive the encoder.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

namespace lagoa::schema::internal {

// Open addressing with linear probing, at most half full.
class KeyIndex {
 public:
  void Build(std::vector<std::string_view> names) {
    names_ = std::move(names);
    size_t slots = 8;
    while (slots < names_.size() * 2) slots *= 2;
    slots_.assign(slots, -1);
    mask_ = slots - 1;
    for (size_t i = 0; i < names_.size(); ++i) {
      size_t at = Hash(names_[i]) & mask_;
      while (slots_[at] >= 0) at = (at + 1) & mask_;
      slots_[at] = static_cast<int32_t>(i);
    }
  }

  // The field named exactly `key`, or -1.
  int32_t Find(std::string_view key) const {
    for (size_t at = Hash(key) & mask_;; at = (at + 1) & mask_) {
      int32_t i = slots_[at];
      if (i < 0 || names_[static_cast<size_t>(i)] == key) return i;
    }
  }

 private:
  static size_t Hash(std::string_view key) {
    uint64_t h = 14695981039346656037ull;  // FNV-1a: keys are short
    for (char c : key) h = (h ^ static_cast<uint8_t>(c)) * 1099511628211ull;
    return static_cast<size_t>(h ^ (h >> 29));
  }

  std::vector<std::string_view> names_;  // views of the definition's field names
  std::vector<int32_t> slots_;
  size_t mask_ = 0;
};

}  // namespace lagoa::schema::internal

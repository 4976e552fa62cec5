// Checked parsing of whole numbers in text that comes from outside (queries, headers, SQL text,
// error messages): the whole text must be the number, and a value out of range is "not a number",
// never an exception. std::stoi/stoll/stoul throw on both and are not used in lagoa.
// Threads: pure functions.
#pragma once

#include <charconv>
#include <optional>
#include <string_view>
#include <type_traits>

namespace lagoa {

// `text` as an integer of type T (decimal digits, a leading '-' for signed types), or nullopt when
// it is empty, holds anything else, or does not fit in T.
template <typename T>
requires std::is_integral_v<T> std::optional<T> ParseInteger(std::string_view text) {
  T value{};
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace lagoa

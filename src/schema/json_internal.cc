#include "schema/json_internal.h"

#include <fmt/format.h>

namespace lagoa::schema::internal {

std::string Excerpt(std::string_view text) {
  bool cut = text.size() > kExcerptBytesMax;
  if (cut) {
    size_t end = kExcerptBytesMax;
    while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;  // not mid-character
    text = text.substr(0, end);
  }
  std::string out(text);
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  }
  if (cut) out += "…";
  return out;
}

std::string_view TrimmedToken(ondemand::value& value) {
  std::string_view token = value.raw_json_token();
  while (!token.empty() &&
         (token.back() == ' ' || token.back() == '\t' || token.back() == '\n' || token.back() == '\r')) {
    token.remove_suffix(1);
  }
  return token;
}

std::string DescribeFound(ondemand::value& value) {
  ondemand::json_type type;
  if (value.type().get(type) == simdjson::SUCCESS) {
    std::string_view raw;
    if (type == ondemand::json_type::array) {
      ondemand::array array;
      if (value.get_array().get(array) == simdjson::SUCCESS && array.raw_json().get(raw) == simdjson::SUCCESS) {
        return Excerpt(raw);
      }
      return "an array";
    }
    if (type == ondemand::json_type::object) {
      ondemand::object object;
      if (value.get_object().get(object) == simdjson::SUCCESS && object.raw_json().get(raw) == simdjson::SUCCESS) {
        return Excerpt(raw);
      }
      return "an object";
    }
  }
  return Excerpt(TrimmedToken(value));
}

std::string JsonErrorMessage(simdjson::error_code error, const char* location, const char* begin) {
  std::string_view what;
  switch (error) {
    case simdjson::UTF8_ERROR:
      what = "the text is not valid UTF-8";
      break;
    case simdjson::INCOMPLETE_ARRAY_OR_OBJECT:
      what = "an object or array is not closed, or text follows the event's closing \"}\"";
      break;
    case simdjson::TAPE_ERROR:
      what = "missing or extra comma, colon, bracket or brace";
      break;
    case simdjson::STRING_ERROR:
      what = "invalid string (bad escape sequence or unpaired surrogate)";
      break;
    case simdjson::UNCLOSED_STRING:
      what = "a string is not closed";
      break;
    case simdjson::NUMBER_ERROR:
      what = "invalid number";
      break;
    case simdjson::T_ATOM_ERROR:
      what = "invalid literal (expected true)";
      break;
    case simdjson::F_ATOM_ERROR:
      what = "invalid literal (expected false)";
      break;
    case simdjson::N_ATOM_ERROR:
      what = "invalid literal (expected null)";
      break;
    case simdjson::DEPTH_ERROR:
      what = "nested too deeply";
      break;
    default:
      what = simdjson::error_message(error);
      break;
  }
  if (location != nullptr && location >= begin) {
    return fmt::format("malformed JSON at byte {}: {}", location - begin, what);
  }
  return fmt::format("malformed JSON: {}", what);
}

}  // namespace lagoa::schema::internal

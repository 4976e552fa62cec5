// The JSON-column scanner: MinifyJson checks and minifies an arbitrary JSON value in one pass.
// It is iterative with an explicit stack of at most kJsonDepthMax levels, because a JSON column is
// the only place an event may nest arbitrarily deep and hostile nesting must cost no C++ stack.
// CopyString and CopyNumber stay in this file, beside their callers, so they can be inlined.
#include "schema/json_minify_internal.h"

#include <bitset>
#include <cctype>
#include <cstddef>
#include <cstring>

#include "schema/json_internal.h"

namespace lagoa::schema::internal {

namespace {

// Copies the string starting at in[*pos] (a '"') to out; nullptr or the reason it is invalid.
const char* CopyString(std::string_view in, size_t* pos, std::string& out) {
  size_t i = *pos + 1;
  while (true) {
    if (i >= in.size()) return "a string is not closed";
    auto c = static_cast<unsigned char>(in[i]);
    if (c == '"') break;
    if (c < 0x20) return "a control character in a string must be escaped";
    if (c == '\\') {
      if (i + 1 >= in.size()) return "a string is not closed";
      char e = in[i + 1];
      if (e == 'u') {
        if (i + 6 > in.size()) return "invalid \\u escape";
        for (size_t k = i + 2; k < i + 6; ++k) {
          if (!std::isxdigit(static_cast<unsigned char>(in[k]))) return "invalid \\u escape";
        }
        i += 6;
        continue;
      }
      if (std::strchr("\"\\/bfnrt", e) == nullptr || e == '\0') return "invalid escape in a string";
      i += 2;
      continue;
    }
    ++i;
  }
  out.append(in.substr(*pos, i + 1 - *pos));
  *pos = i + 1;
  return nullptr;
}

const char* CopyNumber(std::string_view in, size_t* pos, std::string& out) {
  size_t i = *pos;
  auto digits = [&] {
    size_t begin = i;
    while (i < in.size() && IsDigit(in[i])) ++i;
    return i - begin;
  };
  if (i < in.size() && in[i] == '-') ++i;
  size_t int_begin = i;
  size_t n = digits();
  if (n == 0 || (n > 1 && in[int_begin] == '0')) return "invalid number";
  if (i < in.size() && in[i] == '.') {
    ++i;
    if (digits() == 0) return "invalid number";
  }
  if (i < in.size() && (in[i] == 'e' || in[i] == 'E')) {
    ++i;
    if (i < in.size() && (in[i] == '+' || in[i] == '-')) ++i;
    if (digits() == 0) return "invalid number";
  }
  out.append(in.substr(*pos, i - *pos));
  *pos = i;
  return nullptr;
}

}  // namespace

static_assert(kJsonDepthMax == 1024, "the message in MinifyJson names the limit");

// A state machine over the next expected token; in_object[d] says whether level d is an object.
const char* MinifyJson(std::string_view in, std::string& out) {
  enum class Want { kValue, kValueOrClose, kKey, kKeyOrClose, kColon, kCommaOrClose, kNothing };
  std::bitset<kJsonDepthMax> in_object;
  size_t depth = 0;
  Want want = Want::kValue;
  size_t i = 0;
  auto after_value = [&] { want = depth == 0 ? Want::kNothing : Want::kCommaOrClose; };
  while (true) {
    while (i < in.size() && IsJsonSpace(in[i])) ++i;
    if (i == in.size()) return want == Want::kNothing ? nullptr : "the value is not complete";
    char c = in[i];
    const char* problem = nullptr;
    switch (want) {
      case Want::kNothing:
        return "text follows the value";
      case Want::kColon:
        if (c != ':') return "expected ':' after an object key";
        out += c;
        ++i;
        want = Want::kValue;
        continue;
      case Want::kCommaOrClose:
        if (c == ',') {
          out += c;
          ++i;
          want = in_object[depth - 1] ? Want::kKey : Want::kValue;
          continue;
        }
        if (c != (in_object[depth - 1] ? '}' : ']')) return "missing comma or closing bracket";
        break;  // close below
      case Want::kKeyOrClose:
        if (c == '}') break;
        [[fallthrough]];
      case Want::kKey:
        if (c != '"') return "expected a string as object key";
        if ((problem = CopyString(in, &i, out)) != nullptr) return problem;
        want = Want::kColon;
        continue;
      case Want::kValueOrClose:
        if (c == ']') break;
        [[fallthrough]];
      case Want::kValue:
        if (c == '{' || c == '[') {
          if (depth == kJsonDepthMax) return "nested too deeply (more than 1024 levels)";
          in_object[depth++] = c == '{';
          out += c;
          ++i;
          want = c == '{' ? Want::kKeyOrClose : Want::kValueOrClose;
          continue;
        }
        if (c == '"') {
          problem = CopyString(in, &i, out);
        } else if (c == '-' || IsDigit(c)) {
          problem = CopyNumber(in, &i, out);
        } else {
          std::string_view rest = in.substr(i);
          std::string_view literal = rest.starts_with("true")    ? "true"
                                     : rest.starts_with("false") ? "false"
                                     : rest.starts_with("null")  ? "null"
                                                                 : "";
          if (literal.empty()) return "invalid value";
          out += literal;
          i += literal.size();
        }
        if (problem != nullptr) return problem;
        after_value();
        continue;
    }
    out += c;  // a closing bracket
    ++i;
    --depth;
    after_value();
  }
}

bool IsJsonNumber(std::string_view token) {
  std::string ignored;
  size_t pos = 0;
  return !token.empty() && CopyNumber(token, &pos, ignored) == nullptr && pos == token.size();
}

}  // namespace lagoa::schema::internal

// JSON text scanning for the encoder, without simdjson: checking and minifying the value of a JSON
// column, and telling whether a token is a JSON number (for precise number error messages).
// Internal to src/schema. Kept apart from json_internal.h so that this header stays free of
// simdjson.h; the one limit shared with the encoder, kJsonDepthMax, lives there.
#pragma once

#include <string>
#include <string_view>

namespace lagoa::schema::internal {

// Inline: the encoder's per-event and per-number checks call these.
inline bool IsDigit(char c) { return c >= '0' && c <= '9'; }
inline bool IsJsonSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Checks that `in` is exactly one JSON value nested at most kJsonDepthMax levels and appends it to
// `out` without insignificant whitespace. Returns nullptr, or the reason it is not valid JSON
// (a static string; `out` then holds a partial copy). Does not check UTF-8: the encoder's input has
// already been validated by simdjson.
const char* MinifyJson(std::string_view in, std::string& out);

// True when `token` is exactly one JSON number. Error paths only: it may allocate.
bool IsJsonNumber(std::string_view token);

}  // namespace lagoa::schema::internal

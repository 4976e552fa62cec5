// simdjson On-Demand helpers shared by the encoder and inference. Internal to src/schema: keeps
// simdjson.h out of the public headers.
#pragma once

#include <simdjson.h>

#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "schema/types.h"

namespace lagoa::schema::internal {

namespace ondemand = simdjson::ondemand;

// The deepest nesting of arrays and objects accepted anywhere in an event (simdjson's default).
inline constexpr int kJsonDepthMax = 1024;
// LIST levels inference builds before falling back to JSON.
inline constexpr int kInferredListDepthMax = 4;
// Found values shown in messages are cut to about this many bytes.
inline constexpr size_t kExcerptBytesMax = 40;

// `text` cut to kExcerptBytesMax bytes at a UTF-8 character boundary, with "…" when cut, and
// control characters shown as spaces.
std::string Excerpt(std::string_view text);

// The value's JSON token (for a scalar: its whole text) without trailing whitespace.
std::string_view TrimmedToken(ondemand::value& value);

// A short text of what the value is, for "got ..." in messages: scalars as written, arrays and
// objects as their first bytes. Consumes the value.
std::string DescribeFound(ondemand::value& value);

// The message for a simdjson error, with the byte offset when simdjson knows it.
std::string JsonErrorMessage(simdjson::error_code error, const char* location, const char* begin);

// The column type inference gives a JSON value: BOOLEAN, BIGINT, DOUBLE, DECIMAL(38,0) for integers
// beyond BIGINT, VARCHAR, LIST(T) when all non-null elements agree (BIGINT and DOUBLE agree as
// DOUBLE), JSON for objects and disagreeing arrays; nullopt for null, [] and arrays of only such
// values (no type can be inferred yet). Consumes the value. Errors: malformed JSON.
Result<std::optional<Type>> InferValueType(ondemand::value value, int depth);

}  // namespace lagoa::schema::internal

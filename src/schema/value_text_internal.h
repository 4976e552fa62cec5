// Text forms of DECIMAL, DATE and TIMESTAMP values: strict parsers (every rejected input comes
// with a reason for the user) and the formatters the decoder uses. Internal to src/schema.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "schema/record_format.h"

namespace lagoa::schema::internal {

using record_format::Int128;
using record_format::PowerOfTen;
using record_format::UInt128;

enum class DecimalParse { kOk, kSyntax, kTooManyDecimals, kOutOfRange };

// Parses JSON-number syntax -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? exactly (no rounding,
// no binary floating point) into the unscaled value of DECIMAL(precision, scale). Trailing zeros
// beyond the scale are accepted because they do not change the value.
DecimalParse ParseDecimal(std::string_view text, int precision, int scale, Int128* unscaled);

// Appends the exact text of unscaled / 10^scale, with exactly `scale` fractional digits.
void AppendDecimal(Int128 unscaled, int scale, std::string& out);

using record_format::kDateDaysMax;
using record_format::kDateDaysMin;
using record_format::kTimestampMicrosMax;
using record_format::kTimestampMicrosMin;

// "YYYY-MM-DD" → days since 1970-01-01. On failure returns false and sets `reason`.
bool ParseDate(std::string_view text, int32_t* days, std::string* reason);

// RFC 3339 / ISO 8601: YYYY-MM-DD('T'|'t'|' ')HH:MM:SS[.f{1,9}][Z|z|±HH[:MM]|±HHMM]; no offset means
// UTC. The result is microseconds since the epoch, UTC. Fractions finer than a microsecond must be
// zeros (storing them would need rounding). On failure returns false and sets `reason`.
bool ParseTimestamp(std::string_view text, int64_t* micros, std::string* reason);

// "2024-05-01".
void AppendDate(int32_t days, std::string& out);
// "2024-05-01T12:00:00" or "2024-05-01T12:00:00.123456", then "Z" when `utc_marker`.
void AppendTimestamp(int64_t micros, bool utc_marker, std::string& out);

}  // namespace lagoa::schema::internal

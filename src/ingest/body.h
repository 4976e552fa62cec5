// Turning an HTTP request body into event documents: decompression (gzip, zstd) under a size
// limit, and splitting NDJSON, a JSON array or one JSON object into one document per event with
// its line number. Pure functions; any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace lagoa::ingest {

// simdjson may read this many bytes past the end of a document; every body handed to
// SplitEvents must have them (see PadBody).
inline constexpr size_t kJsonPaddingBytes = 64;

// Appends kJsonPaddingBytes spaces; returns the length of the real content.
size_t PadBody(std::string& body);

// Decompresses `body` per Content-Encoding ("" or "identity": unchanged; "gzip"; "zstd") into
// `out`, refusing output larger than `max_bytes`. Errors: InvalidArgument (corrupt data, unknown
// encoding: message names it and the allowed ones), ResourceExhausted-free — a too-large result
// is OutOfRange so the caller can answer 413.
Status DecodeContent(std::string_view encoding, std::string&& body, uint64_t max_bytes, std::string* out);

enum class BodyFormat { kNdjson, kJsonArray, kJsonObject };

// From the Content-Type and the first non-blank byte: application/x-ndjson (or jsonl) is NDJSON;
// application/json is an array when it starts with '[' and one object otherwise; anything else is
// an array when it starts with '[' and NDJSON otherwise.
BodyFormat DetectBodyFormat(std::string_view content_type, std::string_view body);

struct EventDocument {
  uint64_t line = 0;      // 1-based: the physical line for NDJSON, the element index for arrays
  std::string_view text;  // the document's JSON text, followed by at least kJsonPaddingBytes bytes
};

// Splits `body` (the real content; padding must follow it in memory). Blank lines are skipped.
// An empty body, or a JSON array that does not parse as a whole, is an error for the whole request.
Result<std::vector<EventDocument>> SplitEvents(std::string_view body, BodyFormat format);

}  // namespace lagoa::ingest

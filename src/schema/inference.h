// Schema inference: the new columns an event's unknown keys call for. Used by ingest for streams
// with "infer": the encoder (UnknownFieldPolicy::kReport) reports unknown keys, InferFields types
// them, Catalog::AddColumns appends them as a new schema version and the event is encoded again.
//
// Pure function; any thread (each thread keeps its own simdjson parser).
#pragma once

#include <string_view>
#include <vector>

#include "base/status.h"
#include "schema/schema.h"

namespace lagoa::schema {

// The nullable fields for the top-level keys of `json` (a JSON object followed by
// kJsonPaddingBytes readable bytes) that are not columns of `current` (nullptr: no columns), in
// order of appearance:
//   true/false → BOOLEAN; integer → BIGINT (beyond BIGINT: DECIMAL(38,0), beyond that JSON);
//   other number → DOUBLE; string → VARCHAR; array → LIST(T) when its non-null elements agree
//   (BIGINT and DOUBLE agree as DOUBLE), else JSON; object → JSON.
// Keys whose value is null, [] or an array of only nulls are skipped: a later event types them.
// Existing columns are never changed; a wrong-typed value for one is the encoder's error.
// Errors (InvalidArgument): not a JSON object, malformed JSON, duplicate keys, a key that is not a
// valid column name or that differs only in case from an existing column.
Result<std::vector<Field>> InferFields(std::string_view json, const Schema* current);

}  // namespace lagoa::schema

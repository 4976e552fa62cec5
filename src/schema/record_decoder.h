// Reading binary records (format: README.md, "Binary record format") back as JSON. Used by the
// REST API and `lagoa stream tail`; the lake loader and the SQL engine will decode the same
// records into columns.
//
// Pure functions; any thread.
#pragma once

#include <cstddef>
#include <span>
#include <string>

#include "base/status.h"
#include "schema/schema.h"

namespace lagoa::schema {

// Appends the record as one JSON object, keys in column order, with every column of `schema`
// (null when absent). `schema` must be the version the record was written with. Corruption naming
// the column when the bytes do not match the schema (the record is never trusted blindly).
Status AppendRecordJson(std::span<const std::byte> record, const Schema& schema, std::string& out);

}  // namespace lagoa::schema

#include "lake/load/loaded_records.h"

#include <algorithm>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "base/bytes.h"
#include "base/parse_number.h"
#include "lake/delta/file_pruning.h"
#include "lake/delta/table_scan.h"
#include "schema/json_encoder.h"
#include "schema/types.h"

namespace lagoa::lake {
namespace {

using schema::Type;
using schema::TypeId;

constexpr int64_t kOffsetsPerQuery = 65'536;

// Whether the loader's form of a `type` value differs from what the ingest encoder accepts as JSON.
bool NeedsIngestForm(const Type& type) {
  switch (type.id()) {
    case TypeId::kDecimal:
    case TypeId::kDate:
    case TypeId::kTimestamp:
    case TypeId::kTimestampTz:
    case TypeId::kJson:
      return true;
    case TypeId::kList:
      return NeedsIngestForm(type.element());
    case TypeId::kStruct:
      return std::any_of(type.fields().begin(), type.fields().end(),
                         [](const schema::Field& f) { return NeedsIngestForm(f.type); });
    default:
      return false;
  }
}

// A DuckDB expression over `value` (a `type` value as the loader stored it) whose to_json form is
// what the ingest encoder accepts for `type` (src/schema/README.md, "Types"). `depth` names the
// lambda variables of nested lists apart.
std::string IngestFormSql(const Type& type, const std::string& value, int depth) {
  if (!NeedsIngestForm(type)) return value;
  switch (type.id()) {
    case TypeId::kDecimal:  // its digits, never through binary floating point
    case TypeId::kDate:     // YYYY-MM-DD
      return value + "::VARCHAR";
    case TypeId::kTimestamp:
    case TypeId::kTimestampTz:  // RFC 3339 in UTC, to the microsecond
      return fmt::format("strftime(make_timestamp(epoch_us({})), '%Y-%m-%dT%H:%M:%S.%fZ')", value);
    case TypeId::kJson:  // the lake keeps JSON text as VARCHAR: embed it as JSON, not as a string
      return fmt::format("json({})", value);
    case TypeId::kList: {
      const std::string element = fmt::format("x{}", depth);
      return fmt::format("list_transform({}, {} -> {})", value, element,
                         IngestFormSql(type.element(), element, depth + 1));
    }
    case TypeId::kStruct: {
      std::string fields;
      for (const schema::Field& field : type.fields()) {
        if (!fields.empty()) fields += ", ";
        const std::string member = fmt::format("struct_extract({}, {})", value, duck::SqlStringLiteral(field.name));
        fields +=
            fmt::format("{} := {}", schema::QuoteIdentifier(field.name), IngestFormSql(field.type, member, depth));
      }
      // struct_pack of a NULL struct's fields would be a struct of NULLs, not NULL.
      return fmt::format("CASE WHEN {0} IS NULL THEN NULL ELSE struct_pack({1}) END", value, fields);
    }
    default:
      return value;
  }
}

// The SELECT list's last column: the row as one JSON object of the stream's columns the table has.
std::string RowJsonSql(const schema::Schema& latest, const Snapshot& snapshot) {
  std::string fields;
  for (const schema::Field& field : latest.fields) {
    const bool in_table = std::any_of(snapshot.columns().begin(), snapshot.columns().end(),
                                      [&](const DeltaColumn& c) { return c.name == field.name; });
    if (!in_table) continue;
    if (!fields.empty()) fields += ", ";
    const std::string name = schema::QuoteIdentifier(field.name);
    fields += fmt::format("{} := {}", name, IngestFormSql(field.type, name, 0));
  }
  return fields.empty() ? std::string("'{}'") : fmt::format("to_json(struct_pack({}))::VARCHAR", fields);
}

Result<int64_t> ParseInt64(const std::optional<std::string>& text, std::string_view what) {
  if (!text) return Status::Corruption(fmt::format("the lake table has a NULL {}", what));
  std::optional<int64_t> value = ParseInteger<int64_t>(*text);
  if (!value) return Status::Corruption(fmt::format("the lake table's {} `{}` is not an integer", what, *text));
  return *value;
}

}  // namespace

Status ReadLoadedRecords(duck::Connection& duckdb, const Snapshot& snapshot, const ObjectStore& store,
                         std::shared_ptr<const schema::StreamDefinition> stream, PartitionId partition, Offset first,
                         Offset end, const std::function<Status(const log::ReadRecord&)>& add) {
  const schema::Schema& latest = stream->latest();
  const std::string row_json = RowJsonSql(latest, snapshot);
  schema::JsonRecordEncoder encoder(std::move(stream), schema::UnknownFieldPolicy::kReject);
  std::string json;
  Bytes record;
  std::optional<Offset> previous;
  for (int64_t from = first.value(); from < end.value(); from += kOffsetsPerQuery) {
    const int64_t to = std::min(end.value(), from + kOffsetsPerQuery);
    LAGOA_ASSIGN_OR_RETURN(PrunedFiles pruned,
                           PruneFiles(snapshot, {{"_partition", CompareOp::kEqual, std::to_string(partition.value())},
                                                 {"_offset", CompareOp::kGreaterOrEqual, std::to_string(from)},
                                                 {"_offset", CompareOp::kLess, std::to_string(to)}}));
    if (pruned.files.empty()) continue;
    LAGOA_ASSIGN_OR_RETURN(std::string scan, BuildScanSql(snapshot, store, pruned.files));
    LAGOA_ASSIGN_OR_RETURN(
        std::vector<duck::TextRow> rows,
        duckdb.QueryText(fmt::format(
            "WITH t AS ({}) SELECT _offset::VARCHAR, epoch_us(_event_time)::VARCHAR, epoch_us(_ingested_at)::VARCHAR, "
            "{} FROM t WHERE _partition = {} AND _offset >= {} AND _offset < {} ORDER BY _offset",
            scan, row_json, partition.value(), from, to)));
    for (const duck::TextRow& row : rows) {
      LAGOA_ASSIGN_OR_RETURN(const int64_t offset, ParseInt64(row[0], "_offset"));
      if (previous && Offset(offset) <= *previous) {
        return Status::Corruption(
            fmt::format("the lake table holds partition {}'s offset {} more than once", partition.value(), offset));
      }
      previous = Offset(offset);
      log::ReadRecord out{Offset(offset), latest.version, 0, 0, {}};
      LAGOA_ASSIGN_OR_RETURN(out.event_time_us, ParseInt64(row[1], "_event_time"));
      LAGOA_ASSIGN_OR_RETURN(out.ingest_time_us, ParseInt64(row[2], "_ingested_at"));
      json.assign(row[3].value_or("{}"));
      const size_t json_bytes = json.size();
      json.append(schema::kJsonPaddingBytes, ' ');
      record.clear();
      Status encoded = encoder.Encode(std::string_view(json.data(), json_bytes), record, nullptr);
      if (!encoded.ok()) {
        return Status::InvalidArgument(fmt::format("the lake table's row at partition {} offset {} does not encode: {}",
                                                   partition.value(), offset, encoded.message()));
      }
      out.payload = record;
      LAGOA_RETURN_IF_ERROR(add(out));
    }
  }
  return Status::Ok();
}

}  // namespace lagoa::lake

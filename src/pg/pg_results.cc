#include "pg/pg_results.h"

#include <bit>
#include <cstring>

#include "base/assert.h"
#include "pg/pg_errors.h"
#include "sql/sql_text.h"

namespace lagoa::pg::pg {
namespace {

PgError Error(std::string_view sqlstate, std::string message) { return MakeError(sqlstate, std::move(message)); }

uint64_t LoadBigEndian(const std::string& bytes) {
  uint64_t v = 0;
  for (char c : bytes) v = (v << 8) | static_cast<uint8_t>(c);
  return v;
}

}  // namespace

std::vector<FieldDescription> DescribeColumns(const std::vector<sql::ResultColumn>& columns,
                                              std::span<const int16_t> formats) {
  std::vector<FieldDescription> fields;
  fields.reserve(columns.size());
  for (size_t i = 0; i < columns.size(); ++i) {
    FieldDescription f;
    f.name = columns[i].name;
    f.type_oid = sql::PgTypeOid(columns[i].type);
    f.type_size = PgTypeLength(f.type_oid);
    if (f.type_oid == 1700 && columns[i].type.kind == sql::TypeKind::kDecimal) {
      // numeric's typmod: ((precision << 16) | scale) + VARHDRSZ
      f.type_modifier = ((columns[i].type.decimal_width << 16) | columns[i].type.decimal_scale) + 4;
    }
    f.format = i < formats.size() ? formats[i] : 0;
    fields.push_back(std::move(f));
  }
  return fields;
}

uint32_t ParamTypeOid(const sql::ColumnType& type) {
  if (type.kind == sql::TypeKind::kOther && type.sql == "UNKNOWN") return kTextOid;
  return sql::PgTypeOid(type);
}

std::string_view DuckDbTypeOfOid(uint32_t oid) {
  switch (oid) {
    case 16:
      return "BOOLEAN";
    case 17:
      return "BLOB";
    case 20:
      return "BIGINT";
    case 21:
      return "SMALLINT";
    case 23:
      return "INTEGER";
    case 25:
    case 1042:
    case 1043:
      return "VARCHAR";
    case 700:
      return "FLOAT";
    case 701:
      return "DOUBLE";
    case 1082:
      return "DATE";
    case 1083:
      return "TIME";
    case 1114:
      return "TIMESTAMP";
    case 1184:
      return "TIMESTAMPTZ";
    case 1186:
      return "INTERVAL";
    case 2950:
      return "UUID";
    default:
      return {};
  }
}

std::optional<PgError> ExpandFormats(std::span<const int16_t> codes, size_t count, std::vector<int16_t>* out) {
  if (codes.empty()) {
    out->assign(count, 0);
  } else if (codes.size() == 1) {
    out->assign(count, codes[0]);
  } else if (codes.size() == count) {
    out->assign(codes.begin(), codes.end());
  } else {
    return Error(sqlstate::kProtocolViolation, "bind message has " + std::to_string(codes.size()) +
                                                   " result formats but query has " + std::to_string(count) +
                                                   " columns");
  }
  return std::nullopt;
}

std::optional<PgError> CheckWireLimits(size_t params, size_t columns) {
  if (params > kParamsMax) {
    return Error("54000", "the statement has " + std::to_string(params) +
                              " parameters; the PostgreSQL protocol carries at most " + std::to_string(kParamsMax));
  }
  if (columns > kParamsMax) {
    return Error("54000", "the result has " + std::to_string(columns) +
                              " columns; the PostgreSQL protocol carries at most " + std::to_string(kParamsMax));
  }
  return std::nullopt;
}

std::optional<PgError> CheckBinaryFormats(const std::vector<sql::ResultColumn>& columns,
                                          std::span<const int16_t> formats) {
  for (size_t i = 0; i < columns.size() && i < formats.size(); ++i) {
    if (formats[i] == 1 && !sql::PgBinarySupported(columns[i].type)) {
      return Error(sqlstate::kFeatureNotSupported, "binary output format is not supported for column \"" +
                                                       columns[i].name + "\" of type " + columns[i].type.sql);
    }
  }
  return std::nullopt;
}

std::optional<PgError> DecodeParam(const std::optional<std::string>& value, int16_t format, uint32_t oid,
                                   sql::Param* out) {
  if (!value.has_value()) {
    *out = std::monostate{};
    return std::nullopt;
  }
  if (format == 0) {
    *out = *value;  // DuckDB casts the text to the parameter's type
    return std::nullopt;
  }
  const std::string& v = *value;
  auto wrong_size = [&](size_t expected) {
    return Error(sqlstate::kProtocolViolation, "binary parameter of type OID " + std::to_string(oid) + " has " +
                                                   std::to_string(v.size()) + " bytes, expected " +
                                                   std::to_string(expected));
  };
  switch (oid) {
    case 16:  // bool
      if (v.size() != 1) return wrong_size(1);
      *out = v[0] != 0;
      return std::nullopt;
    case 21:  // int2
      if (v.size() != 2) return wrong_size(2);
      *out = static_cast<int64_t>(static_cast<int16_t>(LoadBigEndian(v)));
      return std::nullopt;
    case 23:  // int4
      if (v.size() != 4) return wrong_size(4);
      *out = static_cast<int64_t>(static_cast<int32_t>(LoadBigEndian(v)));
      return std::nullopt;
    case 20:  // int8
      if (v.size() != 8) return wrong_size(8);
      *out = static_cast<int64_t>(LoadBigEndian(v));
      return std::nullopt;
    case 700:  // float4
      if (v.size() != 4) return wrong_size(4);
      *out = static_cast<double>(std::bit_cast<float>(static_cast<uint32_t>(LoadBigEndian(v))));
      return std::nullopt;
    case 701:  // float8
      if (v.size() != 8) return wrong_size(8);
      *out = std::bit_cast<double>(LoadBigEndian(v));
      return std::nullopt;
    case 25:    // text
    case 1043:  // varchar
    case 19:    // name
      *out = v;
      return std::nullopt;
    default:
      return Error(sqlstate::kFeatureNotSupported,
                   "binary format is not supported for parameters of type OID " + std::to_string(oid) +
                       " (supported: bool, int2, int4, int8, float4, float8, text, varchar)");
  }
}

void AppendDataRow(std::string* out, const sql::ResultChunk& chunk, size_t row, std::span<const int16_t> formats) {
  size_t columns = chunk.column_count();
  LAGOA_ASSERT(columns <= kParamsMax);
  size_t message = BeginDataRow(out, static_cast<int16_t>(columns));
  for (size_t c = 0; c < columns; ++c) {
    if (chunk.IsNull(c, row)) {
      AppendNullValue(out);
      continue;
    }
    size_t value = BeginValue(out);
    if (c < formats.size() && formats[c] == 1) {
      chunk.AppendPgBinary(c, row, out);
    } else {
      chunk.AppendPgText(c, row, out);
    }
    EndValue(out, value);
  }
  EndMessage(out, message);
}

std::string CommandTag(sql::StatementKind kind, std::string_view sql, int64_t rows, int64_t changed_rows) {
  using sql::StatementKind;
  int64_t changed = changed_rows >= 0 ? changed_rows : rows;
  switch (kind) {
    case StatementKind::kSelect:
      return "SELECT " + std::to_string(rows);
    case StatementKind::kInsert:
      return "INSERT 0 " + std::to_string(changed);
    case StatementKind::kUpdate:
      return "UPDATE " + std::to_string(changed);
    case StatementKind::kDelete:
      return "DELETE " + std::to_string(changed);
    case StatementKind::kCopy:
      return "COPY " + std::to_string(changed);
    case StatementKind::kExplain:
      return "EXPLAIN";
    case StatementKind::kCreate:
    case StatementKind::kDrop:
    case StatementKind::kAlter: {
      // "CREATE OR REPLACE TEMP VIEW v" → "CREATE VIEW"
      auto words = sql::LeadingKeywords(sql, 6);
      if (words.empty()) break;
      std::string tag = words[0];
      for (size_t i = 1; i < words.size(); ++i) {
        const std::string& w = words[i];
        if (w == "OR" || w == "REPLACE" || w == "TEMP" || w == "TEMPORARY" || w == "UNIQUE" || w == "UNLOGGED" ||
            w == "GLOBAL" || w == "LOCAL" || w == "PERSISTENT") {
          continue;
        }
        if (w == "MACRO") return tag + " FUNCTION";
        return tag + " " + w;
      }
      return tag;
    }
    case StatementKind::kTransaction: {
      auto words = sql::LeadingKeywords(sql, 1);
      if (words.empty()) break;
      if (words[0] == "BEGIN") return "BEGIN";
      if (words[0] == "START") return "START TRANSACTION";
      if (words[0] == "COMMIT" || words[0] == "END") return "COMMIT";
      if (words[0] == "ROLLBACK" || words[0] == "ABORT") return "ROLLBACK";
      return words[0];
    }
    case StatementKind::kSet:
    case StatementKind::kOther: {
      auto words = sql::LeadingKeywords(sql, 1);
      if (words.empty() || words[0] == "PRAGMA")
        return kind == StatementKind::kSet ? "SET" : "SELECT " + std::to_string(rows);
      if (words[0] == "WITH" || words[0] == "FROM" || words[0] == "VALUES" || words[0] == "TABLE") {
        return "SELECT " + std::to_string(rows);
      }
      return words[0];
    }
  }
  return "SELECT " + std::to_string(rows);
}

bool SendsRows(const sql::Statement& statement) {
  switch (statement.kind()) {
    case sql::StatementKind::kCreate:
    case sql::StatementKind::kDrop:
    case sql::StatementKind::kAlter:
    case sql::StatementKind::kTransaction:
      return false;
    default:
      return !statement.columns().empty();
  }
}

TransactionEffect TransactionEffectOf(std::string_view sql) {
  auto words = sql::LeadingKeywords(sql, 1);
  if (words.empty()) return TransactionEffect::kNone;
  if (words[0] == "BEGIN" || words[0] == "START") return TransactionEffect::kBegin;
  if (words[0] == "COMMIT" || words[0] == "END" || words[0] == "ROLLBACK" || words[0] == "ABORT") {
    return TransactionEffect::kEnd;
  }
  return TransactionEffect::kNone;
}

}  // namespace lagoa::pg::pg

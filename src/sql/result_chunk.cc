// ResultChunk over a DuckDB data chunk: type trees built once per result, vectors looked up once
// per chunk, and each Append* dispatching to the formatters of value_*.cc.
#include "sql/result_chunk.h"

#include "base/assert.h"
#include "sql/result_chunk_internal.h"
#include "sql/value_format_internal.h"

namespace lagoa::sql {

struct ResultChunk::Impl {
  duck::DataChunkHandle chunk;
  std::shared_ptr<const internal::ResultTypes> types;
  std::vector<duckdb_vector> vectors;
  size_t rows = 0;

  duckdb_vector Cell(size_t column, size_t row) const {
    LAGOA_ASSERT(column < vectors.size() && row < rows);
    return vectors[column];
  }
};

namespace internal {
namespace {

std::string TakeString(char* text) {
  std::string s = text != nullptr ? text : "";
  duckdb_free(text);
  return s;
}

// DuckDB 1.4's reserved keywords (SELECT … FROM duckdb_keywords() WHERE keyword_category = 'reserved').
constexpr std::string_view kReservedKeywords[] = {
    "all",        "analyse",      "analyze",     "and",       "any",       "array",    "as",         "asc",
    "asymmetric", "both",         "case",        "cast",      "check",     "collate",  "column",     "constraint",
    "create",     "default",      "deferrable",  "desc",      "describe",  "distinct", "do",         "else",
    "end",        "except",       "false",       "fetch",     "for",       "foreign",  "from",       "group",
    "having",     "in",           "initially",   "intersect", "into",      "lambda",   "lateral",    "leading",
    "limit",      "not",          "null",        "offset",    "on",        "only",     "or",         "order",
    "pivot",      "pivot_longer", "pivot_wider", "placing",   "primary",   "qualify",  "references", "returning",
    "select",     "show",         "some",        "summarize", "symmetric", "table",    "then",       "to",
    "trailing",   "true",         "union",       "unique",    "unpivot",   "using",    "variadic",   "when",
    "where",      "window",       "with"};

// DuckDB writes an identifier bare when it is a plain name and not a reserved keyword, else in
// double quotes.
void AppendIdentifier(const std::string& name, std::string* out) {
  bool plain = !name.empty() && !(name[0] >= '0' && name[0] <= '9');
  for (char c : name) plain &= (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  std::string lower = name;
  for (char& c : lower) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
  for (std::string_view keyword : kReservedKeywords) plain &= lower != keyword;
  if (plain) {
    *out += name;
    return;
  }
  *out += '"';
  for (char c : name) {
    if (c == '"') *out += '"';
    *out += c;
  }
  *out += '"';
}

struct ScalarInfo {
  duckdb_type id;
  TypeKind kind;
  const char* sql;
};

constexpr ScalarInfo kScalars[] = {
    {DUCKDB_TYPE_BOOLEAN, TypeKind::kBoolean, "BOOLEAN"},
    {DUCKDB_TYPE_TINYINT, TypeKind::kTinyInt, "TINYINT"},
    {DUCKDB_TYPE_SMALLINT, TypeKind::kSmallInt, "SMALLINT"},
    {DUCKDB_TYPE_INTEGER, TypeKind::kInteger, "INTEGER"},
    {DUCKDB_TYPE_BIGINT, TypeKind::kBigInt, "BIGINT"},
    {DUCKDB_TYPE_HUGEINT, TypeKind::kHugeInt, "HUGEINT"},
    {DUCKDB_TYPE_UTINYINT, TypeKind::kUTinyInt, "UTINYINT"},
    {DUCKDB_TYPE_USMALLINT, TypeKind::kUSmallInt, "USMALLINT"},
    {DUCKDB_TYPE_UINTEGER, TypeKind::kUInteger, "UINTEGER"},
    {DUCKDB_TYPE_UBIGINT, TypeKind::kUBigInt, "UBIGINT"},
    {DUCKDB_TYPE_UHUGEINT, TypeKind::kUHugeInt, "UHUGEINT"},
    {DUCKDB_TYPE_FLOAT, TypeKind::kFloat, "FLOAT"},
    {DUCKDB_TYPE_DOUBLE, TypeKind::kDouble, "DOUBLE"},
    {DUCKDB_TYPE_VARCHAR, TypeKind::kVarchar, "VARCHAR"},
    {DUCKDB_TYPE_BLOB, TypeKind::kBlob, "BLOB"},
    {DUCKDB_TYPE_DATE, TypeKind::kDate, "DATE"},
    {DUCKDB_TYPE_TIME, TypeKind::kTime, "TIME"},
    {DUCKDB_TYPE_TIMESTAMP, TypeKind::kTimestamp, "TIMESTAMP"},
    {DUCKDB_TYPE_TIMESTAMP_TZ, TypeKind::kTimestampTz, "TIMESTAMP WITH TIME ZONE"},
    {DUCKDB_TYPE_TIMESTAMP_S, TypeKind::kTimestampS, "TIMESTAMP_S"},
    {DUCKDB_TYPE_TIMESTAMP_MS, TypeKind::kTimestampMs, "TIMESTAMP_MS"},
    {DUCKDB_TYPE_TIMESTAMP_NS, TypeKind::kTimestampNs, "TIMESTAMP_NS"},
    {DUCKDB_TYPE_INTERVAL, TypeKind::kInterval, "INTERVAL"},
    {DUCKDB_TYPE_UUID, TypeKind::kUuid, "UUID"},
    // Read by the formatters, but kOther: PostgreSQL gets DuckDB's text.
    {DUCKDB_TYPE_TIME_TZ, TypeKind::kOther, "TIME WITH TIME ZONE"},
    {DUCKDB_TYPE_TIME_NS, TypeKind::kOther, "TIME_NS"},
    {DUCKDB_TYPE_BIT, TypeKind::kOther, "BIT"},
    {DUCKDB_TYPE_SQLNULL, TypeKind::kOther, "\"NULL\""},
};

}  // namespace

TypeNode MakeTypeNode(duckdb_logical_type type) {
  TypeNode node;
  node.id = duckdb_get_type_id(type);
  for (const ScalarInfo& scalar : kScalars) {
    if (scalar.id == node.id) node.kind = scalar.kind;
  }
  auto child = [&](duckdb_logical_type child_type) {
    const duck::LogicalTypeHandle owned(child_type);
    node.children.push_back(MakeTypeNode(owned.get()));
  };
  switch (node.id) {
    case DUCKDB_TYPE_VARCHAR:
      node.json = TakeString(duckdb_logical_type_get_alias(type)) == "JSON";
      break;
    case DUCKDB_TYPE_DECIMAL:
      node.kind = TypeKind::kDecimal;
      node.decimal_width = duckdb_decimal_width(type);
      node.decimal_scale = duckdb_decimal_scale(type);
      node.storage = duckdb_decimal_internal_type(type);
      break;
    case DUCKDB_TYPE_ENUM: {
      node.kind = TypeKind::kEnum;
      node.storage = duckdb_enum_internal_type(type);
      const uint32_t size = duckdb_enum_dictionary_size(type);
      node.enum_values.reserve(size);
      for (uint32_t i = 0; i < size; ++i) node.enum_values.push_back(TakeString(duckdb_enum_dictionary_value(type, i)));
      break;
    }
    case DUCKDB_TYPE_LIST:
      node.kind = TypeKind::kList;
      child(duckdb_list_type_child_type(type));
      break;
    case DUCKDB_TYPE_ARRAY:
      node.kind = TypeKind::kArray;
      node.array_size = duckdb_array_type_array_size(type);
      child(duckdb_array_type_child_type(type));
      break;
    case DUCKDB_TYPE_MAP:
      node.kind = TypeKind::kMap;
      child(duckdb_map_type_key_type(type));
      child(duckdb_map_type_value_type(type));
      break;
    case DUCKDB_TYPE_STRUCT: {
      node.kind = TypeKind::kStruct;
      const idx_t count = duckdb_struct_type_child_count(type);
      for (idx_t i = 0; i < count; ++i) {
        node.names.push_back(TakeString(duckdb_struct_type_child_name(type, i)));
        child(duckdb_struct_type_child_type(type, i));
      }
      break;
    }
    case DUCKDB_TYPE_UNION: {
      const idx_t count = duckdb_union_type_member_count(type);
      for (idx_t i = 0; i < count; ++i) {
        node.names.push_back(TakeString(duckdb_union_type_member_name(type, i)));
        child(duckdb_union_type_member_type(type, i));
      }
      break;
    }
    default:
      break;
  }
  return node;
}

std::string TypeSql(const TypeNode& type) {
  std::string out;
  switch (type.id) {
    case DUCKDB_TYPE_DECIMAL:
      return "DECIMAL(" + std::to_string(type.decimal_width) + "," + std::to_string(type.decimal_scale) + ")";
    case DUCKDB_TYPE_VARCHAR:
      return type.json ? "JSON" : "VARCHAR";
    case DUCKDB_TYPE_ENUM:
      out = "ENUM(";
      for (size_t i = 0; i < type.enum_values.size(); ++i) {
        if (i > 0) out += ", ";
        out += '\'';
        for (char c : type.enum_values[i]) {
          if (c == '\'') out += '\'';
          out += c;
        }
        out += '\'';
      }
      return out + ")";
    case DUCKDB_TYPE_LIST:
      return TypeSql(type.children[0]) + "[]";
    case DUCKDB_TYPE_ARRAY:
      return TypeSql(type.children[0]) + "[" + std::to_string(type.array_size) + "]";
    case DUCKDB_TYPE_MAP:
      return "MAP(" + TypeSql(type.children[0]) + ", " + TypeSql(type.children[1]) + ")";
    case DUCKDB_TYPE_STRUCT:
    case DUCKDB_TYPE_UNION:
      out = type.id == DUCKDB_TYPE_STRUCT ? "STRUCT(" : "UNION(";
      for (size_t i = 0; i < type.children.size(); ++i) {
        if (i > 0) out += ", ";
        if (!type.names[i].empty()) {
          AppendIdentifier(type.names[i], &out);
          out += ' ';
        }
        out += TypeSql(type.children[i]);
      }
      return out + ")";
    default:
      for (const ScalarInfo& scalar : kScalars) {
        if (scalar.id == type.id) return scalar.sql;
      }
      return type.id == DUCKDB_TYPE_INVALID ? "UNKNOWN" : "type " + std::to_string(static_cast<int>(type.id));
  }
}

bool TypeReadable(const TypeNode& type) {
  if (type.kind == TypeKind::kOther && type.id != DUCKDB_TYPE_UNION) {
    bool known = false;
    for (const ScalarInfo& scalar : kScalars) known |= scalar.id == type.id;
    if (!known) return false;
  }
  for (const TypeNode& child : type.children) {
    if (!TypeReadable(child)) return false;
  }
  return true;
}

bool RowValid(duckdb_vector vector, uint64_t row) {
  const uint64_t* validity = duckdb_vector_get_validity(vector);
  return validity == nullptr || ((validity[row / 64] >> (row % 64)) & 1) != 0;
}

std::string_view ReadString(duckdb_vector vector, uint64_t row) {
  auto* value = static_cast<duckdb_string_t*>(duckdb_vector_get_data(vector)) + row;
  return {duckdb_string_t_data(value), duckdb_string_t_length(*value)};
}

namespace {

ColumnType Describe(const TypeNode& node) {
  ColumnType type;
  type.kind = node.kind;
  type.sql = TypeSql(node);
  type.decimal_width = node.decimal_width;
  type.decimal_scale = node.decimal_scale;
  if (node.kind == TypeKind::kList || node.kind == TypeKind::kArray) type.element_kind = node.children[0].kind;
  type.readable = TypeReadable(node);
  return type;
}

}  // namespace

ColumnType DescribeType(duckdb_logical_type type) { return Describe(MakeTypeNode(type)); }

std::shared_ptr<const ResultTypes> MakeResultTypes(duck::LogicalTypeList types) {
  auto result = std::make_shared<ResultTypes>();
  result->logical = std::move(types);
  for (size_t c = 0; c < result->logical.size(); ++c) {
    result->nodes.push_back(MakeTypeNode(result->logical[c]));
    result->columns.push_back(Describe(result->nodes.back()));
  }
  return result;
}

std::unique_ptr<ResultChunk> MakeResultChunk(duck::DataChunkHandle chunk, std::shared_ptr<const ResultTypes> types) {
  auto impl = std::make_unique<ResultChunk::Impl>();
  impl->chunk = std::move(chunk);
  impl->rows = duckdb_data_chunk_get_size(impl->chunk.get());
  const idx_t columns = duckdb_data_chunk_get_column_count(impl->chunk.get());
  LAGOA_ASSERT(columns == types->columns.size());
  for (idx_t i = 0; i < columns; ++i) impl->vectors.push_back(duckdb_data_chunk_get_vector(impl->chunk.get(), i));
  impl->types = std::move(types);
  return std::make_unique<ResultChunk>(std::move(impl));
}

}  // namespace internal

ResultChunk::ResultChunk(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ResultChunk::~ResultChunk() = default;

size_t ResultChunk::row_count() const { return impl_->rows; }
size_t ResultChunk::column_count() const { return impl_->vectors.size(); }
const ColumnType& ResultChunk::type(size_t column) const { return impl_->types->columns.at(column); }

bool ResultChunk::IsNull(size_t column, size_t row) const { return !internal::RowValid(impl_->Cell(column, row), row); }

namespace {

using Formatter = void (*)(const internal::TypeNode&, duckdb_vector, uint64_t, std::string*);

void Format(const ResultChunk::Impl& impl, Formatter formatter, size_t column, size_t row, std::string* out) {
  duckdb_vector vector = impl.Cell(column, row);
  LAGOA_ASSERT_MSG(internal::RowValid(vector, row), "formatting a NULL cell");
  LAGOA_ASSERT_MSG(impl.types->columns[column].readable, "column type not readable; CAST it to VARCHAR");
  formatter(impl.types->nodes[column], vector, row, out);
}

}  // namespace

void ResultChunk::AppendText(size_t column, size_t row, std::string* out) const {
  Format(*impl_, internal::AppendDuckText, column, row, out);
}
void ResultChunk::AppendJson(size_t column, size_t row, std::string* out) const {
  Format(*impl_, internal::AppendDuckJson, column, row, out);
}
void ResultChunk::AppendPgText(size_t column, size_t row, std::string* out) const {
  Format(*impl_, internal::AppendPgTextValue, column, row, out);
}
void ResultChunk::AppendPgBinary(size_t column, size_t row, std::string* out) const {
  LAGOA_ASSERT(PgBinarySupported(impl_->types->columns.at(column)));
  Format(*impl_, internal::AppendPgBinaryValue, column, row, out);
}

uint32_t PgTypeOid(const ColumnType& type) {
  // The same mapping as internal::PgOid, from the description alone.
  internal::TypeNode node;
  node.kind = type.kind;
  if (type.kind == TypeKind::kList || type.kind == TypeKind::kArray) {
    internal::TypeNode element;
    element.kind = type.element_kind;
    node.children.push_back(element);
  }
  return internal::PgOid(node);
}

bool PgBinarySupported(const ColumnType& type) { return type.readable; }

}  // namespace lagoa::sql

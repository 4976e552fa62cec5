// Column types of lagoa streams: the SQL types events are checked against at ingest and that the
// lake stores. A Type is a small value (id, precision, scale and a shared pointer to the children
// of LIST and STRUCT); copies are cheap and children are immutable, so Types are safe to share
// between threads once built.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace lagoa::schema {

enum class TypeId : uint8_t {
  kBoolean = 1,
  kInteger,      // int32
  kBigInt,       // int64
  kDouble,       // IEEE 754 binary64
  kDecimal,      // DECIMAL(p,s): exact, 1 <= p <= 38, 0 <= s <= p
  kVarchar,      // UTF-8 text
  kDate,         // days since 1970-01-01
  kTimestamp,    // microseconds since the epoch, UTC (no zone annotation)
  kTimestampTz,  // microseconds since the epoch, UTC
  kJson,         // any JSON value, stored minified
  kList,         // LIST(T): T[] in DuckDB
  kStruct,       // STRUCT(name T, ...)
};

// "BOOLEAN", "DECIMAL", "LIST", ...: the name of the type family.
std::string_view TypeIdName(TypeId id);

// Limits that keep every type small and every recursion over a type shallow.
inline constexpr int kDecimalPrecisionMax = 38;
inline constexpr int kDecimalPrecisionInt64Max = 18;  // DECIMAL(p,s) with p <= 18 is stored in 8 bytes
inline constexpr int kTypeDepthMax = 16;              // LIST/STRUCT nesting levels inside one column
inline constexpr size_t kStructFieldsMax = 1024;      // fields of one STRUCT
inline constexpr size_t kFieldNameBytesMax = 255;

struct Field;
class Type;

// Builds and inspects types. Factories of parameterized types assert their arguments: input from
// users goes through ParseType / Type::MakeDecimal / Type::MakeStruct, which return errors instead.
class Type {
 public:
  // VARCHAR, the type every string fits; exists so Field and containers of Types are regular.
  Type() = default;

  static Type Boolean() { return Type(TypeId::kBoolean); }
  static Type Integer() { return Type(TypeId::kInteger); }
  static Type BigInt() { return Type(TypeId::kBigInt); }
  static Type Double() { return Type(TypeId::kDouble); }
  static Type Decimal(int precision, int scale);  // asserts 1 <= precision <= 38, 0 <= scale <= precision
  static Type Varchar() { return Type(TypeId::kVarchar); }
  static Type Date() { return Type(TypeId::kDate); }
  static Type Timestamp() { return Type(TypeId::kTimestamp); }
  static Type TimestampTz() { return Type(TypeId::kTimestampTz); }
  static Type Json() { return Type(TypeId::kJson); }
  static Type List(Type element);
  // Asserts the fields are valid (see ValidateStructFields in schema.h): names non-empty, unique
  // ignoring case, all nullable.
  static Type Struct(std::vector<Field> fields);

  TypeId id() const { return id_; }
  int precision() const { return precision_; }  // DECIMAL only, else 0
  int scale() const { return scale_; }          // DECIMAL only, else 0
  const Type& element() const;                  // LIST only (asserted)
  const std::vector<Field>& fields() const;     // STRUCT only (asserted)
  bool is_nested() const { return id_ == TypeId::kList || id_ == TypeId::kStruct; }
  // LIST/STRUCT nesting levels: 0 for scalars, 1 for INTEGER[], 2 for STRUCT(a INTEGER[]) ...
  int depth() const;

  // Canonical DuckDB 1.4 spelling, accepted back by ParseType: BOOLEAN, INTEGER, BIGINT, DOUBLE,
  // DECIMAL(10,2), VARCHAR, DATE, TIMESTAMP, TIMESTAMPTZ, JSON, VARCHAR[] (DuckDB rejects
  // LIST(VARCHAR) as a type name), STRUCT(a INTEGER, "b c" VARCHAR). Field names are quoted when
  // they are not plain identifiers or are SQL keywords.
  std::string ToSql() const;

  friend bool operator==(const Type& a, const Type& b);

 private:
  struct Children;
  explicit Type(TypeId id) : id_(id) {}

  TypeId id_ = TypeId::kVarchar;
  uint8_t precision_ = 0;
  uint8_t scale_ = 0;
  std::shared_ptr<const Children> children_;  // LIST and STRUCT only
};

// A named, typed slot: a column of a schema or a field of a STRUCT. STRUCT fields and LIST
// elements are always nullable; NOT NULL exists for top-level columns only.
struct Field {
  std::string name;
  Type type;
  bool nullable = true;

  friend bool operator==(const Field& a, const Field& b) = default;
};

// `name` as a SQL identifier: unchanged when it is a plain identifier and not a keyword, else in
// double quotes with inner quotes doubled.
std::string QuoteIdentifier(std::string_view name);

// True when a and b are equal ignoring ASCII case (column names are case-insensitive, like SQL).
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

}  // namespace lagoa::schema

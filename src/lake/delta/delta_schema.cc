#include "lake/delta/delta_schema.h"

#include <charconv>

#include <fmt/format.h>
#include <simdjson.h>

#include "schema/schema.h"

namespace lagoa::lake {
namespace {

using schema::Field;
using schema::Type;
using simdjson::dom::element;

// A Spark type mapped: `type` empty means unsupported, with `reason` saying why.
struct Mapped {
  std::string spark;
  std::optional<Type> type;
  std::string reason;
};

Mapped Unsupported(std::string spark, std::string reason) {
  return {std::move(spark), std::nullopt, std::move(reason)};
}

std::optional<int> ParseInt(std::string_view text) {
  int value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

Mapped MapPrimitive(std::string_view name) {
  std::string spark(name);
  if (name == "long") return {spark, Type::BigInt(), ""};
  if (name == "integer" || name == "short" || name == "byte") return {spark, Type::Integer(), ""};
  if (name == "boolean") return {spark, Type::Boolean(), ""};
  if (name == "float" || name == "double") return {spark, Type::Double(), ""};
  if (name == "string") return {spark, Type::Varchar(), ""};
  if (name == "date") return {spark, Type::Date(), ""};
  if (name == "timestamp") return {spark, Type::TimestampTz(), ""};
  if (name == "timestamp_ntz") return {spark, Type::Timestamp(), ""};
  if (name == "binary") return Unsupported(spark, "Delta type binary has no lagoa type");
  if (name.starts_with("decimal(") && name.ends_with(")")) {
    std::string_view inner = name.substr(8, name.size() - 9);
    size_t comma = inner.find(',');
    if (comma != std::string_view::npos) {
      auto trim = [](std::string_view s) {
        while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
        while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
        return s;
      };
      std::optional<int> precision = ParseInt(trim(inner.substr(0, comma)));
      std::optional<int> scale = ParseInt(trim(inner.substr(comma + 1)));
      if (precision && scale && *precision >= 1 && *precision <= schema::kDecimalPrecisionMax && *scale >= 0 &&
          *scale <= *precision) {
        return {spark, Type::Decimal(*precision, *scale), ""};
      }
    }
    return Unsupported(spark, fmt::format("Delta type {} is not a DECIMAL lagoa can store (precision 1..38)", name));
  }
  if (name == "decimal") return {spark, Type::Decimal(10, 0), ""};  // Spark's default precision
  return Unsupported(spark, fmt::format("Delta type {} has no lagoa type", name));
}

Result<Mapped> MapType(element spark_type, int depth);

Result<Mapped> MapStruct(simdjson::dom::object obj, int depth) {
  simdjson::dom::array fields;
  if (obj["fields"].get(fields) != simdjson::SUCCESS) {
    return Status::Corruption("schema: a struct type has no `fields` array");
  }
  std::vector<Field> lagoa_fields;
  std::string spark = "struct<";
  std::string reason;
  for (element field : fields) {
    std::string_view name;
    element type;
    if (field["name"].get(name) != simdjson::SUCCESS || field["type"].get(type) != simdjson::SUCCESS) {
      return Status::Corruption("schema: a struct field has no `name` string or no `type`");
    }
    LAGOA_ASSIGN_OR_RETURN(Mapped child, MapType(type, depth + 1));
    spark += fmt::format("{}{}:{}", spark.back() == '<' ? "" : ",", name, child.spark);
    if (!reason.empty()) continue;
    if (!child.type) {
      reason = fmt::format("field `{}`: {}", name, child.reason);
      continue;
    }
    Status valid = schema::ValidateFieldName(name);
    for (const Field& other : lagoa_fields) {
      if (schema::EqualsIgnoreCase(other.name, name)) valid = Status::InvalidArgument("duplicate field name");
    }
    if (!valid.ok()) {
      reason = fmt::format("field `{}`: {}", name, valid.message());
      continue;
    }
    // lagoa STRUCT fields are always nullable, so a NOT NULL Spark field is read as nullable.
    lagoa_fields.push_back({std::string(name), *child.type, true});
  }
  spark += ">";
  if (!reason.empty()) return Unsupported(std::move(spark), std::move(reason));
  if (lagoa_fields.empty()) return Unsupported(std::move(spark), "an empty struct has no lagoa type");
  if (lagoa_fields.size() > schema::kStructFieldsMax) return Unsupported(std::move(spark), "too many struct fields");
  return Mapped{std::move(spark), Type::Struct(std::move(lagoa_fields)), ""};
}

Result<Mapped> MapType(element spark_type, int depth) {
  if (depth > schema::kTypeDepthMax) {
    return Mapped{"…", std::nullopt, fmt::format("nested deeper than {} levels", schema::kTypeDepthMax)};
  }
  std::string_view name;
  if (spark_type.get(name) == simdjson::SUCCESS) return MapPrimitive(name);
  simdjson::dom::object obj;
  std::string_view kind;
  if (spark_type.get(obj) != simdjson::SUCCESS || obj["type"].get(kind) != simdjson::SUCCESS) {
    return Status::Corruption("schema: a type must be a string or an object with a `type` string");
  }
  if (kind == "struct") return MapStruct(obj, depth);
  if (kind == "array") {
    element element_type;
    if (obj["elementType"].get(element_type) != simdjson::SUCCESS) {
      return Status::Corruption("schema: an array type has no `elementType`");
    }
    LAGOA_ASSIGN_OR_RETURN(Mapped child, MapType(element_type, depth + 1));
    std::string spark = fmt::format("array<{}>", child.spark);
    if (!child.type) return Unsupported(std::move(spark), "array element: " + child.reason);
    return Mapped{std::move(spark), Type::List(*child.type), ""};
  }
  if (kind == "map") {
    element key_type;
    element value_type;
    if (obj["keyType"].get(key_type) != simdjson::SUCCESS || obj["valueType"].get(value_type) != simdjson::SUCCESS) {
      return Status::Corruption("schema: a map type has no `keyType` or `valueType`");
    }
    LAGOA_ASSIGN_OR_RETURN(Mapped key, MapType(key_type, depth + 1));
    LAGOA_ASSIGN_OR_RETURN(Mapped value, MapType(value_type, depth + 1));
    // lagoa has no MAP type; a map is read as JSON, an object of its entries.
    return Mapped{fmt::format("map<{},{}>", key.spark, value.spark), Type::Json(), ""};
  }
  return Unsupported(std::string(kind), fmt::format("Delta type {} has no lagoa type", kind));
}

}  // namespace

Result<std::vector<DeltaColumn>> ParseSparkSchema(std::string_view schema_json) {
  simdjson::dom::parser parser;
  element root;
  if (auto error = parser.parse(schema_json.data(), schema_json.size(), true).get(root); error != simdjson::SUCCESS) {
    return Status::Corruption(fmt::format("schema is not valid JSON: {}", simdjson::error_message(error)));
  }
  std::string_view kind;
  simdjson::dom::array fields;
  if (root["type"].get(kind) != simdjson::SUCCESS || kind != "struct" ||
      root["fields"].get(fields) != simdjson::SUCCESS) {
    return Status::Corruption("schema: the top level must be {\"type\":\"struct\",\"fields\":[...]}");
  }
  std::vector<DeltaColumn> columns;
  for (element field : fields) {
    DeltaColumn column;
    std::string_view name;
    element type;
    if (field["name"].get(name) != simdjson::SUCCESS || field["type"].get(type) != simdjson::SUCCESS) {
      return Status::Corruption("schema: a column has no `name` string or no `type`");
    }
    column.name = std::string(name);
    bool nullable = true;
    if (field["nullable"].get(nullable) == simdjson::SUCCESS) column.nullable = nullable;
    LAGOA_ASSIGN_OR_RETURN(Mapped mapped, MapType(type, 0));
    column.spark_type = std::move(mapped.spark);
    column.type = std::move(mapped.type);
    column.unsupported_reason = std::move(mapped.reason);
    columns.push_back(std::move(column));
  }
  return columns;
}

Result<std::vector<schema::Field>> ToLagoaFields(const std::vector<DeltaColumn>& columns) {
  std::vector<Field> fields;
  for (const DeltaColumn& column : columns) {
    if (!column.type) {
      return Status::InvalidArgument(
          fmt::format("column `{}` ({}): {}", column.name, column.spark_type, column.unsupported_reason));
    }
    fields.push_back({column.name, *column.type, column.nullable});
  }
  LAGOA_RETURN_IF_ERROR(schema::ValidateColumns(fields));
  return fields;
}

std::string DuckDbTypeName(const DeltaColumn& column) {
  if (column.type) return column.type->ToSql();
  return column.spark_type == "binary" ? "BLOB" : "VARCHAR";
}

}  // namespace lagoa::lake

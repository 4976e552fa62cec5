#include "schema/inference.h"

#include <algorithm>

#include <fmt/format.h>

#include "base/assert.h"
#include "schema/json_encoder.h"
#include "schema/json_internal.h"

namespace lagoa::schema {
namespace internal {
namespace {

Status Malformed(simdjson::error_code error) {
  return Status::InvalidArgument(JsonErrorMessage(error, nullptr, nullptr));
}

bool IsNumeric(const Type& t) {
  return t.id() == TypeId::kBigInt || t.id() == TypeId::kDouble || t.id() == TypeId::kDecimal;
}

// The type that holds values of both a and b, or nullopt when they disagree.
std::optional<Type> Merge(const Type& a, const Type& b) {
  if (a == b) return a;
  if (IsNumeric(a) && IsNumeric(b)) {
    if (a.id() == TypeId::kDouble || b.id() == TypeId::kDouble) {
      // A DECIMAL(38,0) integer is beyond 2^63 and not exact as DOUBLE.
      if (a.id() == TypeId::kDecimal || b.id() == TypeId::kDecimal) return std::nullopt;
      return Type::Double();
    }
    return Type::Decimal(kDecimalPrecisionMax, 0);  // BIGINT and DECIMAL(38,0)
  }
  if (a.id() == TypeId::kList && b.id() == TypeId::kList) {
    auto element = Merge(a.element(), b.element());
    if (!element) return std::nullopt;
    return Type::List(std::move(*element));
  }
  return std::nullopt;
}

// True for JSON integer syntax: -?(0|[1-9][0-9]*).
bool IsJsonInteger(std::string_view token) {
  if (!token.empty() && token.front() == '-') token.remove_prefix(1);
  if (token.empty() || (token.size() > 1 && token.front() == '0')) return false;
  return std::all_of(token.begin(), token.end(), [](char c) { return c >= '0' && c <= '9'; });
}

Result<std::optional<Type>> InferNumber(ondemand::value& value) {
  ondemand::number_type kind;
  if (auto error = value.get_number_type().get(kind)) return Malformed(error);
  if (kind == ondemand::number_type::floating_point_number) {
    double v;
    if (auto error = value.get_double().get(v)) return Malformed(error);
    return std::optional<Type>(Type::Double());
  }
  int64_t v;
  if (value.get_int64().get(v) == simdjson::SUCCESS) return std::optional<Type>(Type::BigInt());
  // Beyond BIGINT in either direction (simdjson calls only positive ones unsigned_integer, and
  // cannot read integers beyond 64 bits or beyond a finite double at all): typed by its digits.
  std::string_view token = TrimmedToken(value);
  if (!IsJsonInteger(token)) return Malformed(simdjson::NUMBER_ERROR);
  size_t digits = token.size() - (token.front() == '-' ? 1 : 0);
  if (digits <= static_cast<size_t>(kDecimalPrecisionMax)) {
    return std::optional<Type>(Type::Decimal(kDecimalPrecisionMax, 0));
  }
  return std::optional<Type>(Type::Json());
}

}  // namespace

Result<std::optional<Type>> InferValueType(ondemand::value value, int depth) {
  ondemand::json_type type;
  if (auto error = value.type().get(type)) return Malformed(error);
  switch (type) {
    case ondemand::json_type::null: {
      bool is_null = false;
      if (value.is_null().get(is_null) != simdjson::SUCCESS || !is_null) return Malformed(simdjson::N_ATOM_ERROR);
      return std::optional<Type>();
    }
    case ondemand::json_type::boolean: {
      bool v;
      if (auto error = value.get_bool().get(v)) return Malformed(error);
      return std::optional<Type>(Type::Boolean());
    }
    case ondemand::json_type::number:
      return InferNumber(value);
    case ondemand::json_type::string: {
      std::string_view v;
      if (auto error = value.get_string().get(v)) return Malformed(error);
      return std::optional<Type>(Type::Varchar());
    }
    case ondemand::json_type::object:
      return std::optional<Type>(Type::Json());
    case ondemand::json_type::array:
      break;
  }
  if (depth >= kInferredListDepthMax) return std::optional<Type>(Type::Json());
  ondemand::array array;
  if (auto error = value.get_array().get(array)) return Malformed(error);
  std::optional<Type> element;
  for (auto item : array) {
    ondemand::value v;
    if (auto error = item.get(v)) return Malformed(error);
    LAGOA_ASSIGN_OR_RETURN(std::optional<Type> t, InferValueType(v, depth + 1));
    if (!t) continue;
    if (!element) {
      element = std::move(t);
      continue;
    }
    element = Merge(*element, *t);
    if (!element) return std::optional<Type>(Type::Json());  // the rest is skipped by the caller's iteration
  }
  if (!element) return std::optional<Type>();
  return std::optional<Type>(Type::List(std::move(*element)));
}

}  // namespace internal

Result<std::vector<Field>> InferFields(std::string_view json, const Schema* current) {
  namespace ondemand = internal::ondemand;
  thread_local ondemand::parser parser;
  std::vector<Field> fields;
  std::vector<std::string> keys;  // every key not already a column, for duplicates
  ondemand::document doc;
  simdjson::padded_string_view padded(json.data(), json.size(), json.size() + kJsonPaddingBytes);
  auto result = [&]() -> Status {
    if (auto error = parser.iterate(padded).get(doc)) {
      return Status::InvalidArgument(internal::JsonErrorMessage(error, nullptr, nullptr));
    }
    ondemand::object object;
    if (auto error = doc.get_object().get(object)) {
      if (error == simdjson::INCORRECT_TYPE) return Status::InvalidArgument("the event must be a JSON object");
      return Status::InvalidArgument(internal::JsonErrorMessage(error, nullptr, nullptr));
    }
    for (auto item : object) {
      ondemand::field field;
      std::string_view key;
      ondemand::value value;
      if (auto error = std::move(item).get(field))
        return Status::InvalidArgument(internal::JsonErrorMessage(error, nullptr, nullptr));
      if (auto error = field.unescaped_key().get(key)) {
        return Status::InvalidArgument(internal::JsonErrorMessage(error, nullptr, nullptr));
      }
      if (current != nullptr && current->FieldIndex(key)) continue;
      if (current != nullptr) {
        if (auto same = current->FieldIndexIgnoringCase(key)) {
          return Status::InvalidArgument(
              fmt::format("field \"{}\" differs only in case from column \"{}\"; column names are case-insensitive",
                          internal::Excerpt(key), current->fields[*same].name));
        }
      }
      for (const std::string& k : keys) {
        if (EqualsIgnoreCase(k, key)) {
          return Status::InvalidArgument(k == key ? fmt::format("field \"{}\" appears twice", internal::Excerpt(key))
                                                  : fmt::format("fields \"{}\" and \"{}\" differ only in case",
                                                                internal::Excerpt(k), internal::Excerpt(key)));
        }
      }
      keys.emplace_back(key);
      if (Status s = ValidateFieldName(key); !s.ok()) {
        return s.WithContext(fmt::format("field \"{}\"", internal::Excerpt(key)));
      }
      value = field.value();
      auto type = internal::InferValueType(value, 0);
      if (!type.ok()) return type.status().WithContext(fmt::format("field \"{}\"", internal::Excerpt(key)));
      if (*type) fields.push_back(Field{std::string(key), std::move(**type), true});
    }
    const char* location;
    if (doc.current_location().get(location) == simdjson::SUCCESS) {
      return Status::InvalidArgument(
          fmt::format("malformed JSON at byte {}: text follows the event's closing \"}}\"", location - json.data()));
    }
    return Status::Ok();
  }();
  if (json.size() > (1u << 20)) parser = ondemand::parser();  // do not keep a huge buffer per thread
  if (!result.ok()) return result;
  return fields;
}

}  // namespace lagoa::schema

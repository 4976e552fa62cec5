#include "lake/delta/file_pruning.h"

#include <charconv>
#include <cmath>
#include <optional>
#include <variant>

#include <fmt/format.h>
#include <simdjson.h>

#include "schema/schema.h"
#include "schema/types.h"

namespace lagoa::lake {
namespace {

using schema::TypeId;

// A value the pruner can order: integers (also dates as days and timestamps as microseconds),
// doubles and strings (bytewise, as Delta orders UTF-8 statistics).
using Comparable = std::variant<int64_t, double, std::string>;

constexpr int64_t kMicrosPerDay = 86'400'000'000;
constexpr int64_t kTimestampMaxSlackMicros = 999;

bool Compared(TypeId id) {
  switch (id) {
    case TypeId::kInteger:
    case TypeId::kBigInt:
    case TypeId::kDouble:
    case TypeId::kVarchar:
    case TypeId::kDate:
    case TypeId::kTimestamp:
    case TypeId::kTimestampTz:
      return true;
    default:
      return false;
  }
}

// `text` as a value of type `id` (a compared type); nullopt when it does not parse.
std::optional<Comparable> ParseText(TypeId id, std::string_view text) {
  switch (id) {
    case TypeId::kInteger:
    case TypeId::kBigInt: {
      int64_t value = 0;
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
      if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
      return value;
    }
    case TypeId::kDouble: {
      double value = 0;
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
      if (ec != std::errc() || end != text.data() + text.size() || std::isnan(value)) return std::nullopt;
      return value;
    }
    case TypeId::kVarchar:
      return std::string(text);
    case TypeId::kDate: {
      if (text.size() != 10) return std::nullopt;
      auto micros = schema::ParseTimestampMicros(fmt::format("{}T00:00:00Z", text));
      if (!micros.ok()) return std::nullopt;
      return *micros / kMicrosPerDay;
    }
    case TypeId::kTimestamp:
    case TypeId::kTimestampTz: {
      auto micros = schema::ParseTimestampMicros(text);
      if (!micros.ok()) return std::nullopt;
      return *micros;
    }
    default:
      return std::nullopt;
  }
}

// A statistics value (a JSON number or string) as a value of type `id`.
std::optional<Comparable> ParseStat(TypeId id, simdjson::dom::element value) {
  std::string_view text;
  if (value.get(text) == simdjson::SUCCESS) return ParseText(id, text);
  if (id == TypeId::kInteger || id == TypeId::kBigInt) {
    int64_t number = 0;
    if (value.get(number) == simdjson::SUCCESS) return number;
  }
  if (id == TypeId::kDouble) {
    double number = 0;
    if (value.get(number) == simdjson::SUCCESS && !std::isnan(number)) return number;
  }
  return std::nullopt;
}

// <0, 0, >0; both hold the same alternative (parsed for the same type).
int Compare(const Comparable& a, const Comparable& b) {
  return std::visit(
      [&b](const auto& x) {
        const auto& y = std::get<std::decay_t<decltype(x)>>(b);
        return x < y ? -1 : (y < x ? 1 : 0);
      },
      a);
}

bool Satisfiable(CompareOp op, const Comparable& min, const Comparable& max, const Comparable& literal) {
  switch (op) {
    case CompareOp::kEqual:
      return Compare(literal, min) >= 0 && Compare(literal, max) <= 0;
    case CompareOp::kLess:
      return Compare(min, literal) < 0;
    case CompareOp::kLessOrEqual:
      return Compare(min, literal) <= 0;
    case CompareOp::kGreater:
      return Compare(max, literal) > 0;
    case CompareOp::kGreaterOrEqual:
      return Compare(max, literal) >= 0;
  }
  return true;
}

struct BoundPredicate {
  const DeltaColumn* column;
  bool partition;
  CompareOp op;
  Comparable literal;
};

// Whether the file may hold a row matching `p`. `stats` is the parsed statistics object, or null.
bool MayMatch(const AddFile& file, const simdjson::dom::element* stats, const BoundPredicate& p) {
  const TypeId id = p.column->type->id();
  if (p.partition) {
    std::optional<std::string> value = FindPartitionValue(file.partition_values, p.column->name);
    if (!value || value->empty()) return false;  // NULL: no comparison is true
    std::optional<Comparable> parsed = ParseText(id, *value);
    return !parsed || Satisfiable(p.op, *parsed, *parsed, p.literal);
  }
  if (stats == nullptr) return true;
  int64_t records = -1;
  int64_t nulls = -1;
  if ((*stats)["numRecords"].get(records) == simdjson::SUCCESS &&
      (*stats)["nullCount"][p.column->name].get(nulls) == simdjson::SUCCESS && records > 0 && nulls == records) {
    return false;  // every value is NULL
  }
  simdjson::dom::element min_value;
  simdjson::dom::element max_value;
  if ((*stats)["minValues"][p.column->name].get(min_value) != simdjson::SUCCESS ||
      (*stats)["maxValues"][p.column->name].get(max_value) != simdjson::SUCCESS) {
    return true;
  }
  std::optional<Comparable> min = ParseStat(id, min_value);
  std::optional<Comparable> max = ParseStat(id, max_value);
  if (!min || !max) return true;
  if (id == TypeId::kTimestamp || id == TypeId::kTimestampTz) std::get<int64_t>(*max) += kTimestampMaxSlackMicros;
  return Satisfiable(p.op, *min, *max, p.literal);
}

}  // namespace

Result<PrunedFiles> PruneFiles(const Snapshot& snapshot, const std::vector<ColumnPredicate>& predicates) {
  const std::vector<std::string>& partition_columns = snapshot.metadata().partition_columns;
  std::vector<BoundPredicate> bound;
  for (const ColumnPredicate& predicate : predicates) {
    const DeltaColumn* column = nullptr;
    for (const DeltaColumn& c : snapshot.columns()) {
      if (schema::EqualsIgnoreCase(c.name, predicate.column)) column = &c;
    }
    if (column == nullptr) {
      return Status::InvalidArgument(fmt::format("filter on `{}`: the table has no such column", predicate.column));
    }
    if (!column->type || !Compared(column->type->id())) continue;  // never prunes
    std::optional<Comparable> literal = ParseText(column->type->id(), predicate.literal);
    if (!literal) {
      return Status::InvalidArgument(fmt::format("filter on `{}`: \"{}\" is not a {} value", column->name,
                                                 predicate.literal, column->type->ToSql()));
    }
    bool partition = false;
    for (const std::string& name : partition_columns)
      partition = partition || schema::EqualsIgnoreCase(name, column->name);
    bound.push_back(BoundPredicate{column, partition, predicate.op, std::move(*literal)});
  }

  PrunedFiles result;
  simdjson::dom::parser parser;
  for (const AddFile& file : snapshot.files()) {
    simdjson::dom::element stats;
    bool has_stats = !file.stats.empty() && parser.parse(file.stats).get(stats) == simdjson::SUCCESS;
    bool keep = true;
    for (const BoundPredicate& p : bound) {
      if (!MayMatch(file, has_stats ? &stats : nullptr, p)) {
        keep = false;
        break;
      }
    }
    if (keep) {
      result.files.push_back(file);
    } else {
      ++result.files_pruned;
    }
  }
  return result;
}

}  // namespace lagoa::lake

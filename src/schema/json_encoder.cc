// JsonRecordEncoder: simdjson On-Demand over the event, values written straight into the caller's
// buffer in the binary record format (README.md, "Binary record format").
//
// The stream's type tree is compiled once per encoder into Nodes: each STRUCT (and the top level)
// gets a hash index from key to field (json_key_index_internal.h) and scratch space that is reused
// by every event, so the steady state allocates nothing. Recursion follows the type tree (at most
// kTypeDepthMax + 1 levels); JSON columns, the only place an event may nest arbitrarily deep, are
// checked by an iterative scanner with an explicit depth limit (json_minify.cc).
//
// Node, Slot and the compiler stay in this file, in the unnamed namespace, on purpose: because the
// Impl methods that take a Node then have internal linkage, GCC inlines the per-type encoders into
// EncodeValue; moved to a shared header, they became out-of-line calls for every value.
#include "schema/json_encoder.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <limits>

#include "base/assert.h"
#include "schema/json_internal.h"
#include "schema/json_key_index_internal.h"
#include "schema/json_minify_internal.h"
#include "schema/record_format.h"
#include "schema/value_text_internal.h"

namespace lagoa::schema {

static_assert(kJsonPaddingBytes == simdjson::SIMDJSON_PADDING);

namespace {

namespace ondemand = simdjson::ondemand;
using internal::Excerpt;
using internal::IsDigit;
using internal::IsJsonNumber;
using internal::IsJsonSpace;
using internal::KeyIndex;
using internal::MinifyJson;

constexpr size_t kParserKeepBytesMax = 1u << 20;  // larger events do not leave their buffers behind
constexpr size_t kVarintBytesMax = 10;

// One encoded field of the object being encoded: where its value sits in the output.
struct Slot {
  uint32_t field;
  size_t begin;
  size_t size;
};

// A type of the schema, compiled for encoding; owns the scratch space of its level.
struct Node {
  TypeId id = TypeId::kVarchar;
  int precision = 0;
  int scale = 0;
  std::string sql;                   // the type's name in messages
  std::unique_ptr<Node> element;     // LIST
  std::vector<const Field*> fields;  // STRUCT and the top level
  std::vector<std::unique_ptr<Node>> children;
  KeyIndex index;
  std::vector<uint64_t> seen_stamp;  // per field: the stamp of the object that last had it
  std::vector<Slot> slots;           // values of the current object, in order of appearance
  std::vector<uint8_t> presence;     // LIST: element presence bits of the current array
};

std::unique_ptr<Node> Compile(const Type& type);

void CompileFields(Node& node, const std::vector<Field>& fields) {
  std::vector<std::string_view> names;
  names.reserve(fields.size());
  for (const Field& f : fields) {
    node.fields.push_back(&f);
    node.children.push_back(Compile(f.type));
    names.emplace_back(f.name);
  }
  node.index.Build(std::move(names));
  node.seen_stamp.assign(fields.size(), 0);
  node.slots.reserve(fields.size());
}

std::unique_ptr<Node> Compile(const Type& type) {
  auto node = std::make_unique<Node>();
  node->id = type.id();
  node->precision = type.precision();
  node->scale = type.scale();
  node->sql = type.ToSql();
  if (type.id() == TypeId::kList) node->element = Compile(type.element());
  if (type.id() == TypeId::kStruct) CompileFields(*node, type.fields());
  return node;
}

using record_format::PresenceBytes;

size_t EncodeVarint(uint64_t value, std::byte* at) {
  size_t n = 0;
  while (value >= 0x80) {
    at[n++] = static_cast<std::byte>((value & 0x7F) | 0x80);
    value >>= 7;
  }
  at[n++] = static_cast<std::byte>(value);
  return n;
}

void Append(Bytes& out, std::string_view bytes) {
  size_t at = out.size();
  out.resize(at + bytes.size());
  if (!bytes.empty()) std::memcpy(out.data() + at, bytes.data(), bytes.size());
}

// True for -?[0-9]+: a JSON integer (simdjson checks the rest of the grammar).
bool IsIntegerToken(std::string_view token) {
  if (!token.empty() && token[0] == '-') token.remove_prefix(1);
  return !token.empty() && std::all_of(token.begin(), token.end(), IsDigit);
}

// One step of a field path for messages: a key, or a list index when name is null.
struct PathPart {
  const std::string* name = nullptr;
  size_t index = 0;
};

}  // namespace

Status EncoderOptions::Validate() const {
  constexpr size_t kLimitMax = size_t{1} << 32;
  auto check = [](std::string_view key, size_t value, size_t min, size_t max) -> Status {
    if (value < min || value > max) {
      return Status::InvalidArgument(fmt::format("{} is {}; allowed: {} to {}", key, value, min, max));
    }
    return Status::Ok();
  };
  LAGOA_RETURN_IF_ERROR(check("event_bytes_max", event_bytes_max, 2, kLimitMax));
  LAGOA_RETURN_IF_ERROR(check("string_bytes_max", string_bytes_max, 1, kLimitMax));
  return check("record_bytes_max", record_bytes_max, 16, kLimitMax);
}

class JsonRecordEncoder::Impl {
 public:
  Impl(std::shared_ptr<const StreamDefinition> definition, const EncoderOptions& options)
      : definition_(std::move(definition)), schema_(&definition_->latest()), options_(options) {
    LAGOA_ASSERT_MSG(options_.Validate().ok(), "invalid EncoderOptions");
    root_.id = TypeId::kStruct;
    CompileFields(root_, schema_->fields);
    for (size_t i = 0; i < schema_->fields.size(); ++i) {
      if (!schema_->fields[i].nullable) not_null_.push_back(static_cast<uint32_t>(i));
    }
    if (definition_->event_time_column) {
      auto i = schema_->FieldIndex(*definition_->event_time_column);
      if (!i) i = schema_->FieldIndexIgnoringCase(*definition_->event_time_column);
      if (i && (schema_->fields[*i].type.id() == TypeId::kTimestamp ||
                schema_->fields[*i].type.id() == TypeId::kTimestampTz)) {
        event_time_column_ = static_cast<int64_t>(*i);
      }
    }
  }

  Status Encode(std::string_view json, Bytes& out, EncodeInfo* info) {
    LAGOA_ASSERT_MSG(info != nullptr || options_.unknown_fields == UnknownFieldPolicy::kReject,
                     "UnknownFieldPolicy::kReport needs an EncodeInfo");
    if (info != nullptr) {
      info->event_time_us.reset();
      info->unknown_fields.clear();
    }
    if (json.size() > options_.event_bytes_max) {
      return Status::InvalidArgument(
          fmt::format("the event is {} bytes; the limit is {} bytes", json.size(), options_.event_bytes_max));
    }
#ifndef NDEBUG
    // The padding contract: AddressSanitizer reports a caller whose buffer ends early.
    [[maybe_unused]] volatile char last_padding_byte = json.data()[json.size() + kJsonPaddingBytes - 1];
#endif
    size_t start = out.size();
    Status status = EncodeEvent(json, out, info);
    bool report_only = info != nullptr && !info->unknown_fields.empty();
    if (!status.ok() || report_only) out.resize(start);
    if (!status.ok() && info != nullptr) {
      info->event_time_us.reset();
      info->unknown_fields.clear();
    }
    if (json.size() > kParserKeepBytesMax) {
      parser_ = ondemand::parser();
      json_scratch_ = std::string();
    }
    return status;
  }

  const StreamDefinition& definition() const { return *definition_; }
  const Schema& schema() const { return *schema_; }

 private:
  Status EncodeEvent(std::string_view json, Bytes& out, EncodeInfo* info) {
    json_begin_ = json.data();
    doc_ = nullptr;
    record_begin_ = out.size();
    unknown_seen_.clear();
    event_time_us_.reset();
    if (std::all_of(json.begin(), json.end(), IsJsonSpace)) {
      return Status::InvalidArgument("the event is empty; expected a JSON object");
    }
    simdjson::padded_string_view padded(json.data(), json.size(), json.size() + kJsonPaddingBytes);
    ondemand::document doc;
    if (auto error = parser_.iterate(padded).get(doc)) return Malformed(error, nullptr);
    doc_ = &doc;
    ondemand::object object;
    if (auto error = doc.get_object().get(object)) {
      if (error != simdjson::INCORRECT_TYPE) return Malformed(error, nullptr);
      size_t first = json.find_first_not_of(" \t\r\n");
      return Status::InvalidArgument(
          fmt::format("the event must be a JSON object, got {}", Excerpt(json.substr(first))));
    }
    size_t n = root_.fields.size();
    size_t header_bytes = EncodeVarint(n, varint_scratch_.data());
    Append(out, std::string_view(reinterpret_cast<const char*>(varint_scratch_.data()), header_bytes));
    LAGOA_RETURN_IF_ERROR(EncodeFields(root_, object, out, 0, info));
    const char* location;
    if (doc.current_location().get(location) == simdjson::SUCCESS) {
      return Status::InvalidArgument(
          fmt::format("malformed JSON at byte {}: text follows the event's closing \"}}\"", location - json_begin_));
    }
    for (uint32_t column : not_null_) {
      if (root_.seen_stamp[column] != root_stamp_) {
        return Status::InvalidArgument(fmt::format("field \"{}\": expected {} NOT NULL, got nothing (missing)",
                                                   Excerpt(root_.fields[column]->name), root_.children[column]->sql));
      }
    }
    LAGOA_RETURN_IF_ERROR(CheckRecordSize(out, 0));
    if (info != nullptr) info->event_time_us = event_time_us_;
    return Status::Ok();
  }

  // The object's fields as a presence bitmap followed by the present values in field order.
  Status EncodeFields(Node& node, ondemand::object& object, Bytes& out, size_t depth, EncodeInfo* info) {
    const bool top = depth == 0;
    const size_t presence_at = out.size();
    out.resize(presence_at + PresenceBytes(node.fields.size()));  // zero: absent
    const size_t values_at = out.size();
    const uint64_t stamp = ++stamp_;
    if (top) root_stamp_ = stamp;
    node.slots.clear();
    bool in_order = true;
    for (auto item : object) {
      ondemand::field field;
      if (auto error = std::move(item).get(field)) return Malformed(error);
      std::string_view key;
      if (auto error = field.unescaped_key().get(key)) return Malformed(error);
      int32_t found = node.index.Find(key);
      if (found < 0) {
        if (top) {
          LAGOA_RETURN_IF_ERROR(UnknownColumn(key, field.value(), info));
          continue;
        }
        return Status::InvalidArgument(fmt::format("field \"{}\": unknown field \"{}\"; {} has no such field",
                                                   Path(depth), Excerpt(key), node.sql));
      }
      auto index = static_cast<uint32_t>(found);
      const Field& column = *node.fields[index];
      path_[depth] = PathPart{&column.name, 0};
      if (node.seen_stamp[index] == stamp) {
        return Status::InvalidArgument(fmt::format("field \"{}\" appears twice", Path(depth + 1)));
      }
      node.seen_stamp[index] = stamp;
      ondemand::value value = field.value();
      ondemand::json_type type;
      if (auto error = TypeOf(value, &type)) return Malformed(error);
      if (type == ondemand::json_type::null) {
        if (!column.nullable) {
          return Status::InvalidArgument(
              fmt::format("field \"{}\": expected {} NOT NULL, got null", Path(depth + 1), node.children[index]->sql));
        }
        continue;
      }
      const size_t begin = out.size();
      LAGOA_RETURN_IF_ERROR(EncodeValue(*node.children[index], value, type, out, depth + 1));
      out[presence_at + index / 8] |= static_cast<std::byte>(1u << (index % 8));
      if (!node.slots.empty() && node.slots.back().field > index) in_order = false;
      node.slots.push_back(Slot{index, begin, out.size() - begin});
      if (top) {
        if (static_cast<int64_t>(index) == event_time_column_) event_time_us_ = LoadFixed<int64_t>(out.data() + begin);
        LAGOA_RETURN_IF_ERROR(CheckRecordSize(out, 0));
      }
    }
    if (!in_order) SortValues(node.slots, out, values_at);
    return Status::Ok();
  }

  // Rewrites the values after `values_at` in field order (only when the event's keys were not).
  static void SortValues(std::vector<Slot>& slots, Bytes& out, size_t values_at) {
    std::sort(slots.begin(), slots.end(), [](const Slot& a, const Slot& b) { return a.field < b.field; });
    const size_t end = out.size();
    out.resize(end + (end - values_at));
    size_t to = end;
    for (const Slot& s : slots) {
      std::memcpy(out.data() + to, out.data() + s.begin, s.size);
      to += s.size;
    }
    std::memmove(out.data() + values_at, out.data() + end, end - values_at);
    out.resize(end);
  }

  Status UnknownColumn(std::string_view key, ondemand::value value, EncodeInfo* info) {
    if (options_.unknown_fields == UnknownFieldPolicy::kReject) {
      return Status::InvalidArgument(
          fmt::format("field \"{}\" is not a column of stream \"{}\"", Excerpt(key), definition_->name));
    }
    for (const std::string& seen : unknown_seen_) {
      if (seen == key) return Status::InvalidArgument(fmt::format("field \"{}\" appears twice", Excerpt(key)));
    }
    unknown_seen_.emplace_back(key);
    auto type = internal::InferValueType(value, 0);
    if (!type.ok()) return type.status().WithContext(fmt::format("field \"{}\"", Excerpt(key)));
    if (*type) info->unknown_fields.emplace_back(key);
    return Status::Ok();
  }

  Status EncodeValue(Node& node, ondemand::value& value, ondemand::json_type type, Bytes& out, size_t depth) {
    switch (node.id) {
      case TypeId::kBoolean: {
        if (type != ondemand::json_type::boolean) return Expected(node, value, depth);
        bool v;
        if (auto error = value.get_bool().get(v)) return Malformed(error);
        out.push_back(static_cast<std::byte>(v ? 1 : 0));
        return Status::Ok();
      }
      case TypeId::kInteger:
      case TypeId::kBigInt:
        return EncodeInteger(node, value, type, out, depth);
      case TypeId::kDouble:
        return EncodeDouble(node, value, type, out, depth);
      case TypeId::kDecimal:
        return EncodeDecimal(node, value, type, out, depth);
      case TypeId::kVarchar: {
        if (type != ondemand::json_type::string) return Expected(node, value, depth);
        std::string_view v;
        if (auto error = value.get_string().get(v)) return Malformed(error);
        LAGOA_RETURN_IF_ERROR(CheckStringSize(v.size(), "string", depth));
        PutVarint(out, v.size());
        Append(out, v);
        return Status::Ok();
      }
      case TypeId::kDate:
      case TypeId::kTimestamp:
      case TypeId::kTimestampTz:
        return EncodeTime(node, value, type, out, depth);
      case TypeId::kJson:
        return EncodeJson(value, type, out, depth);
      case TypeId::kList: {
        if (type != ondemand::json_type::array) return Expected(node, value, depth);
        return EncodeList(node, value, out, depth);
      }
      case TypeId::kStruct: {
        if (type != ondemand::json_type::object) return Expected(node, value, depth);
        ondemand::object object;
        if (auto error = value.get_object().get(object)) return Malformed(error);
        return EncodeFields(node, object, out, depth, nullptr);
      }
    }
    LAGOA_ASSERT_MSG(false, "unknown TypeId");
    return Status::Ok();
  }

  Status EncodeInteger(const Node& node, ondemand::value& value, ondemand::json_type type, Bytes& out, size_t depth) {
    if (type != ondemand::json_type::number) return Expected(node, value, depth);
    std::string_view token = internal::TrimmedToken(value);
    int64_t v;
    if (auto error = value.get_int64().get(v)) {
      if (!IsJsonNumber(token)) return Malformed(simdjson::NUMBER_ERROR);
      if (IsIntegerToken(token)) return OutOfRange(node, token, depth);
      if (error == simdjson::INCORRECT_TYPE) return Expected(node, value, depth);
      return Malformed(error);
    }
    if (node.id == TypeId::kBigInt) {
      PutFixed<int64_t>(out, v);
      return Status::Ok();
    }
    if (v < std::numeric_limits<int32_t>::min() || v > std::numeric_limits<int32_t>::max()) {
      return OutOfRange(node, token, depth);
    }
    PutFixed<int32_t>(out, static_cast<int32_t>(v));
    return Status::Ok();
  }

  Status OutOfRange(const Node& node, std::string_view token, size_t depth) {
    bool integer = node.id == TypeId::kInteger;
    return Status::InvalidArgument(fmt::format(
        "field \"{}\": integer overflow: {} is out of range for {} ({} to {})", Path(depth), Excerpt(token), node.sql,
        integer ? int64_t{std::numeric_limits<int32_t>::min()} : std::numeric_limits<int64_t>::min(),
        integer ? int64_t{std::numeric_limits<int32_t>::max()} : std::numeric_limits<int64_t>::max()));
  }

  Status EncodeDouble(const Node& node, ondemand::value& value, ondemand::json_type type, Bytes& out, size_t depth) {
    if (type != ondemand::json_type::number) return Expected(node, value, depth);
    std::string_view token = internal::TrimmedToken(value);
    double v;
    if (auto error = value.get_double().get(v)) {
      if (!IsJsonNumber(token)) return Malformed(simdjson::NUMBER_ERROR);
      if (error == simdjson::NUMBER_ERROR && token.find_first_of("eE") != std::string_view::npos) {
        return Status::InvalidArgument(
            fmt::format("field \"{}\": {} is out of range for DOUBLE", Path(depth), Excerpt(token)));
      }
      return Malformed(error);
    }
    PutFixed<double>(out, v);
    return Status::Ok();
  }

  Status EncodeDecimal(const Node& node, ondemand::value& value, ondemand::json_type type, Bytes& out, size_t depth) {
    std::string_view text;
    if (type == ondemand::json_type::number) {
      text = internal::TrimmedToken(value);  // exact digits; never through binary floating point
    } else if (type == ondemand::json_type::string) {
      if (auto error = value.get_string().get(text)) return Malformed(error);
    } else {
      return Expected(node, value, depth);
    }
    internal::Int128 unscaled = 0;
    internal::DecimalParse parsed = internal::ParseDecimal(text, node.precision, node.scale, &unscaled);
    if (parsed == internal::DecimalParse::kOk) {
      if (node.precision <= kDecimalPrecisionInt64Max) {
        PutFixed<int64_t>(out, static_cast<int64_t>(unscaled));
      } else {
        auto bits = static_cast<internal::UInt128>(unscaled);
        PutFixed<uint64_t>(out, static_cast<uint64_t>(bits));
        PutFixed<uint64_t>(out, static_cast<uint64_t>(bits >> 64));
      }
      return Status::Ok();
    }
    std::string found = type == ondemand::json_type::string ? fmt::format("\"{}\"", Excerpt(text)) : Excerpt(text);
    switch (parsed) {
      case internal::DecimalParse::kOk:
        break;
      case internal::DecimalParse::kSyntax:
        if (type == ondemand::json_type::number) return Malformed(simdjson::NUMBER_ERROR);
        return Status::InvalidArgument(fmt::format("field \"{}\": expected {}, got {}", Path(depth), node.sql, found));
      case internal::DecimalParse::kTooManyDecimals:
        return Status::InvalidArgument(fmt::format("field \"{}\": expected {}, got {}: more than {} decimal places",
                                                   Path(depth), node.sql, found, node.scale));
      case internal::DecimalParse::kOutOfRange:
        return Status::InvalidArgument(
            fmt::format("field \"{}\": expected {}, got {}: out of range (at most {} digits before the decimal point)",
                        Path(depth), node.sql, found, node.precision - node.scale));
    }
    LAGOA_ASSERT_MSG(false, "unhandled DecimalParse");
    return Status::Ok();
  }

  Status EncodeTime(const Node& node, ondemand::value& value, ondemand::json_type type, Bytes& out, size_t depth) {
    if (type != ondemand::json_type::string) return Expected(node, value, depth);
    std::string_view text;
    if (auto error = value.get_string().get(text)) return Malformed(error);
    bool ok;
    if (node.id == TypeId::kDate) {
      int32_t days;
      ok = internal::ParseDate(text, &days, &reason_scratch_);
      if (ok) PutFixed<int32_t>(out, days);
    } else {
      int64_t micros;
      ok = internal::ParseTimestamp(text, &micros, &reason_scratch_);
      if (ok) PutFixed<int64_t>(out, micros);
    }
    if (ok) return Status::Ok();
    return Status::InvalidArgument(fmt::format("field \"{}\": expected {}, got \"{}\": {}", Path(depth), node.sql,
                                               Excerpt(text), reason_scratch_));
  }

  Status EncodeJson(ondemand::value& value, ondemand::json_type type, Bytes& out, size_t depth) {
    std::string_view text;
    simdjson::error_code error = simdjson::SUCCESS;
    if (type == ondemand::json_type::array) {
      ondemand::array array;
      error = value.get_array().get(array);
      if (!error) error = array.raw_json().get(text);
    } else if (type == ondemand::json_type::object) {
      ondemand::object object;
      error = value.get_object().get(object);
      if (!error) error = object.raw_json().get(text);
    } else {
      text = internal::TrimmedToken(value);
    }
    if (error) return Malformed(error);
    json_scratch_.clear();
    if (const char* problem = MinifyJson(text, json_scratch_)) {
      return Status::InvalidArgument(fmt::format("field \"{}\": malformed JSON: {}", Path(depth), problem));
    }
    LAGOA_RETURN_IF_ERROR(CheckStringSize(json_scratch_.size(), "JSON value", depth));
    PutVarint(out, json_scratch_.size());
    Append(out, json_scratch_);
    return Status::Ok();
  }

  // varint count, presence bitmap, present elements. The header is inserted once the count is known.
  Status EncodeList(Node& node, ondemand::value& value, Bytes& out, size_t depth) {
    ondemand::array array;
    if (auto error = value.get_array().get(array)) return Malformed(error);
    const size_t begin = out.size();
    node.presence.clear();
    size_t count = 0;
    for (auto item : array) {
      ondemand::value element;
      if (auto error = std::move(item).get(element)) return Malformed(error);
      path_[depth] = PathPart{nullptr, count};
      if (count % 8 == 0) node.presence.push_back(0);
      ondemand::json_type type;
      if (auto error = TypeOf(element, &type)) return Malformed(error);
      if (type != ondemand::json_type::null) {
        LAGOA_RETURN_IF_ERROR(EncodeValue(*node.element, element, type, out, depth + 1));
        node.presence.back() |= static_cast<uint8_t>(1u << (count % 8));
      }
      ++count;
      LAGOA_RETURN_IF_ERROR(CheckRecordSize(out, node.presence.size()));
    }
    const size_t elements_bytes = out.size() - begin;
    const size_t varint_bytes = EncodeVarint(count, varint_scratch_.data());
    const size_t header_bytes = varint_bytes + node.presence.size();
    out.resize(out.size() + header_bytes);
    std::memmove(out.data() + begin + header_bytes, out.data() + begin, elements_bytes);
    std::memcpy(out.data() + begin, varint_scratch_.data(), varint_bytes);
    if (!node.presence.empty()) {
      std::memcpy(out.data() + begin + varint_bytes, node.presence.data(), node.presence.size());
    }
    return Status::Ok();
  }

  // The value's JSON type, from its first byte; a null is checked to be exactly `null`.
  static simdjson::error_code TypeOf(ondemand::value& value, ondemand::json_type* type) {
    if (auto error = value.type().get(*type)) return error;
    if (*type != ondemand::json_type::null) return simdjson::SUCCESS;
    bool is_null = false;
    if (value.is_null().get(is_null) != simdjson::SUCCESS || !is_null) return simdjson::N_ATOM_ERROR;
    return simdjson::SUCCESS;
  }

  Status CheckStringSize(size_t size, std::string_view what, size_t depth) {
    if (size <= options_.string_bytes_max) return Status::Ok();
    return Status::InvalidArgument(fmt::format("field \"{}\": {} of {} bytes exceeds the limit of {} bytes",
                                               Path(depth), what, size, options_.string_bytes_max));
  }

  Status CheckRecordSize(const Bytes& out, size_t pending_bytes) {
    size_t size = out.size() - record_begin_ + pending_bytes;
    if (size <= options_.record_bytes_max) return Status::Ok();
    return Status::InvalidArgument(
        fmt::format("the encoded record exceeds the limit of {} bytes", options_.record_bytes_max));
  }

  // The error for a value of the wrong JSON type (or, when its token is not JSON at all, malformed).
  Status Expected(const Node& node, ondemand::value& value, size_t depth) {
    std::string path = Path(depth);
    std::string_view token = internal::TrimmedToken(value);
    if (!token.empty()) {
      char c = token[0];
      if ((c == '-' || IsDigit(c)) && !IsJsonNumber(token)) return Malformed(simdjson::NUMBER_ERROR);
      if (c == 't' && token != "true") return Malformed(simdjson::T_ATOM_ERROR);
      if (c == 'f' && token != "false") return Malformed(simdjson::F_ATOM_ERROR);
      if (c == 'n' && token != "null") return Malformed(simdjson::N_ATOM_ERROR);
    }
    return Status::InvalidArgument(
        fmt::format("field \"{}\": expected {}, got {}", path, node.sql, internal::DescribeFound(value)));
  }

  Status Malformed(simdjson::error_code error, ondemand::document* doc) {
    const char* location = nullptr;
    if (doc == nullptr || doc->current_location().get(location) != simdjson::SUCCESS) location = nullptr;
    return Status::InvalidArgument(internal::JsonErrorMessage(error, location, json_begin_));
  }
  Status Malformed(simdjson::error_code error) { return Malformed(error, doc_); }

  // "user.tags[2]": the path of the value at `depth` (path_[0 .. depth-1]).
  std::string Path(size_t depth) const {
    std::string path;
    for (size_t i = 0; i < depth; ++i) {
      if (path_[i].name != nullptr) {
        if (i > 0) path += '.';
        path += Excerpt(*path_[i].name);
      } else {
        fmt::format_to(std::back_inserter(path), "[{}]", path_[i].index);
      }
    }
    return path;
  }

  std::shared_ptr<const StreamDefinition> definition_;
  const Schema* schema_;
  EncoderOptions options_;
  Node root_;
  std::vector<uint32_t> not_null_;
  int64_t event_time_column_ = -1;
  ondemand::parser parser_;
  // Per event.
  ondemand::document* doc_ = nullptr;
  const char* json_begin_ = nullptr;
  size_t record_begin_ = 0;
  uint64_t stamp_ = 0;
  uint64_t root_stamp_ = 0;
  std::optional<int64_t> event_time_us_;
  std::array<PathPart, kTypeDepthMax + 2> path_{};
  std::vector<std::string> unknown_seen_;  // kReport only
  std::string json_scratch_;
  std::string reason_scratch_;
  std::array<std::byte, kVarintBytesMax> varint_scratch_{};
};

JsonRecordEncoder::JsonRecordEncoder(std::shared_ptr<const StreamDefinition> definition, UnknownFieldPolicy policy)
    : JsonRecordEncoder(std::move(definition), [policy] {
        EncoderOptions options;
        options.unknown_fields = policy;
        return options;
      }()) {}

JsonRecordEncoder::JsonRecordEncoder(std::shared_ptr<const StreamDefinition> definition, const EncoderOptions& options)
    : impl_(std::make_unique<Impl>(std::move(definition), options)) {}

JsonRecordEncoder::~JsonRecordEncoder() = default;

Status JsonRecordEncoder::Encode(std::string_view json, Bytes& out, EncodeInfo* info) {
  return impl_->Encode(json, out, info);
}

const StreamDefinition& JsonRecordEncoder::definition() const { return impl_->definition(); }
const Schema& JsonRecordEncoder::schema() const { return impl_->schema(); }

}  // namespace lagoa::schema

// AppendRecordJson: binary record (README.md, "Binary record format") → JSON object. Every read
// goes through ByteReader and every decoded value is checked against its type's range, so hostile
// bytes give Corruption, never an out-of-bounds read or text that is not JSON (JSON column bytes
// excepted: they are copied as stored). Recursion follows the type tree, at most kTypeDepthMax + 1
// levels deep.
#include "schema/record_decoder.h"

#include <fmt/format.h>

#include <cmath>
#include <iterator>

#include "base/bytes.h"
#include "base/json_writer.h"
#include "schema/record_format.h"
#include "schema/value_text_internal.h"

namespace lagoa::schema {
namespace {

using internal::Int128;
using record_format::IsPresent;
using record_format::PaddingBitsClear;
using record_format::PresenceBytes;

// Decodes values of one record; each method returns nullptr or what is wrong with the bytes.
class ValueDecoder {
 public:
  ValueDecoder(std::span<const std::byte> record, std::string& out) : reader_(record), out_(out) {}

  ByteReader& reader() { return reader_; }

  const char* Value(const Type& type) {
    switch (type.id()) {
      case TypeId::kBoolean: {
        uint8_t v;
        if (!reader_.ReadFixed(&v)) return kTruncated;
        if (v > 1) return "BOOLEAN byte is neither 0 nor 1";
        out_ += v != 0 ? "true" : "false";
        return nullptr;
      }
      case TypeId::kInteger:
        return Integer<int32_t>();
      case TypeId::kBigInt:
        return Integer<int64_t>();
      case TypeId::kDouble: {
        double v;
        if (!reader_.ReadFixed(&v)) return kTruncated;
        if (!std::isfinite(v)) return "DOUBLE is not finite";
        fmt::format_to(std::back_inserter(out_), "{}", v);
        return nullptr;
      }
      case TypeId::kDecimal:
        return Decimal(type);
      case TypeId::kVarchar: {
        std::span<const std::byte> bytes;
        if (const char* problem = LengthPrefixed(&bytes)) return problem;
        AppendJsonString(out_, AsStringView(bytes));
        return nullptr;
      }
      case TypeId::kDate: {
        int32_t days;
        if (!reader_.ReadFixed(&days)) return kTruncated;
        if (days < internal::kDateDaysMin || days > internal::kDateDaysMax) return "DATE out of range";
        out_ += '"';
        internal::AppendDate(days, out_);
        out_ += '"';
        return nullptr;
      }
      case TypeId::kTimestamp:
      case TypeId::kTimestampTz: {
        int64_t micros;
        if (!reader_.ReadFixed(&micros)) return kTruncated;
        if (micros < internal::kTimestampMicrosMin || micros > internal::kTimestampMicrosMax) {
          return "TIMESTAMP out of range";
        }
        out_ += '"';
        internal::AppendTimestamp(micros, type.id() == TypeId::kTimestampTz, out_);
        out_ += '"';
        return nullptr;
      }
      case TypeId::kJson: {
        std::span<const std::byte> bytes;
        if (const char* problem = LengthPrefixed(&bytes)) return problem;
        if (bytes.empty()) return "empty JSON value";
        out_ += AsStringView(bytes);
        return nullptr;
      }
      case TypeId::kList:
        return List(type.element());
      case TypeId::kStruct:
        return Struct(type.fields());
    }
    return "unknown type";
  }

  // Presence bitmap over `fields`, then the present values; as a JSON object.
  const char* Struct(const std::vector<Field>& fields) {
    std::span<const std::byte> presence;
    if (!reader_.ReadBytes(PresenceBytes(fields.size()), &presence)) return kTruncated;
    if (!PaddingBitsClear(presence, fields.size())) return "presence bitmap has bits past the last field";
    out_ += '{';
    for (size_t i = 0; i < fields.size(); ++i) {
      if (i > 0) out_ += ',';
      AppendJsonString(out_, fields[i].name);
      out_ += ':';
      if (!IsPresent(presence, i)) {
        out_ += "null";
        continue;
      }
      if (const char* problem = Value(fields[i].type)) return problem;
    }
    out_ += '}';
    return nullptr;
  }

 private:
  static constexpr const char* kTruncated = "truncated";

  template <typename T>
  const char* Integer() {
    T v;
    if (!reader_.ReadFixed(&v)) return kTruncated;
    fmt::format_to(std::back_inserter(out_), "{}", v);
    return nullptr;
  }

  const char* Decimal(const Type& type) {
    Int128 unscaled;
    if (type.precision() <= kDecimalPrecisionInt64Max) {
      int64_t v;
      if (!reader_.ReadFixed(&v)) return kTruncated;
      unscaled = v;
    } else {
      uint64_t low, high;
      if (!reader_.ReadFixed(&low) || !reader_.ReadFixed(&high)) return kTruncated;
      unscaled = static_cast<Int128>((static_cast<internal::UInt128>(high) << 64) | low);
    }
    Int128 limit = internal::PowerOfTen(type.precision());
    if (unscaled >= limit || unscaled <= -limit) return "DECIMAL value has more digits than its precision";
    internal::AppendDecimal(unscaled, type.scale(), out_);
    return nullptr;
  }

  const char* LengthPrefixed(std::span<const std::byte>* bytes) {
    uint64_t size;
    if (!reader_.ReadVarint(&size)) return "truncated or invalid length";
    if (size > reader_.remaining() || !reader_.ReadBytes(static_cast<size_t>(size), bytes)) {
      return "length exceeds the record";
    }
    return nullptr;
  }

  // varint count, presence bitmap, present elements; as a JSON array.
  const char* List(const Type& element) {
    uint64_t count;
    if (!reader_.ReadVarint(&count)) return "truncated or invalid LIST count";
    if (count / 8 > reader_.remaining()) return "LIST count exceeds the record";
    std::span<const std::byte> presence;
    if (!reader_.ReadBytes(PresenceBytes(static_cast<size_t>(count)), &presence)) return kTruncated;
    if (!PaddingBitsClear(presence, static_cast<size_t>(count)))
      return "presence bitmap has bits past the last element";
    out_ += '[';
    for (size_t i = 0; i < count; ++i) {
      if (i > 0) out_ += ',';
      if (!IsPresent(presence, i)) {
        out_ += "null";
        continue;
      }
      if (const char* problem = Value(element)) return problem;
    }
    out_ += ']';
    return nullptr;
  }

  ByteReader reader_;
  std::string& out_;
};

}  // namespace

Status AppendRecordJson(std::span<const std::byte> record, const Schema& schema, std::string& out) {
  const size_t start = out.size();
  ValueDecoder decoder(record, out);
  ByteReader& reader = decoder.reader();
  auto fail = [&](std::string message) {
    out.resize(start);
    return Status::Corruption(std::move(message));
  };
  uint64_t columns;
  if (!reader.ReadVarint(&columns)) return fail("record: truncated or invalid column count");
  const size_t schema_columns = schema.fields.size();
  if (columns > schema_columns) {
    return fail(fmt::format("record has {} columns; schema version {} has {}", columns, schema.version.value(),
                            schema_columns));
  }
  const auto n = static_cast<size_t>(columns);
  std::span<const std::byte> presence;
  if (!reader.ReadBytes(PresenceBytes(n), &presence)) return fail("record: truncated presence bitmap");
  if (!PaddingBitsClear(presence, n)) return fail("record: presence bitmap has bits past the last column");
  out += '{';
  for (size_t i = 0; i < schema_columns; ++i) {
    const Field& field = schema.fields[i];
    if (i > 0) out += ',';
    AppendJsonString(out, field.name);
    out += ':';
    if (i >= n || !IsPresent(presence, i)) {
      out += "null";
      continue;
    }
    if (const char* problem = decoder.Value(field.type)) {
      return fail(fmt::format("record column \"{}\" ({}): {}", field.name, field.type.ToSql(), problem));
    }
  }
  out += '}';
  if (reader.remaining() != 0) return fail(fmt::format("record: {} bytes after the last column", reader.remaining()));
  return Status::Ok();
}

}  // namespace lagoa::schema

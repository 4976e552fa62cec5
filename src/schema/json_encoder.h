// JsonRecordEncoder: checks one JSON event against a stream's latest schema and appends it as a
// compact binary record (format: README.md, "Binary record format"). This is the ingest hot path:
// events are typed once here and never parsed as JSON again downstream.
//
// Lifecycle: one encoder per thread and stream definition (it owns a simdjson parser and scratch
// buffers that grow to the largest event seen, and shrink again after events over 1 MiB).
// Threads: not thread-safe; an encoder is used by one thread at a time. The definition it holds is
// immutable and shared.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "schema/schema.h"

namespace lagoa::schema {

// Bytes that must be readable after the end of every JSON text handed to the encoder or to
// InferFields (simdjson reads ahead in 64-byte blocks); equal to simdjson::SIMDJSON_PADDING.
inline constexpr size_t kJsonPaddingBytes = 64;

enum class UnknownFieldPolicy {
  kReject,  // a top-level key that is not a column is an error
  kReport,  // Encode returns OK without writing and lists the unknown keys (for schema inference)
};

struct EncodeInfo {
  // The event-time column's value, when the stream has one and the event's value is not null.
  std::optional<int64_t> event_time_us;
  // kReport only: top-level keys that are not columns, in order of appearance. Keys whose value is
  // null, [] or a list of only nulls are not listed (they carry no type to infer; see README.md).
  std::vector<std::string> unknown_fields;
};

struct EncoderOptions {
  UnknownFieldPolicy unknown_fields = UnknownFieldPolicy::kReject;
  size_t event_bytes_max = 16u << 20;  // JSON text of one event (the default request body limit)
  size_t string_bytes_max = 1u << 20;  // one VARCHAR value, or one JSON value minified
  size_t record_bytes_max = 4u << 20;  // the encoded record

  static EncoderOptions Defaults() { return {}; }
  Status Validate() const;
};

class JsonRecordEncoder {
 public:
  // Encodes against definition->latest(). Options are asserted valid (EncoderOptions::Validate).
  JsonRecordEncoder(std::shared_ptr<const StreamDefinition> definition, UnknownFieldPolicy policy);
  JsonRecordEncoder(std::shared_ptr<const StreamDefinition> definition, const EncoderOptions& options);
  ~JsonRecordEncoder();
  JsonRecordEncoder(const JsonRecordEncoder&) = delete;
  JsonRecordEncoder& operator=(const JsonRecordEncoder&) = delete;

  // Encodes one event. The caller guarantees kJsonPaddingBytes readable bytes after json.end()
  // (no copy is made; debug builds touch the last of them so AddressSanitizer catches a caller
  // that forgets). On success appends exactly one record to `out` (or, with kReport and unknown
  // keys, nothing) and fills `info` (may be null with kReject). On error `out` is unchanged and
  // the InvalidArgument message names the field path, what was expected and what was found.
  Status Encode(std::string_view json, Bytes& out, EncodeInfo* info);

  const StreamDefinition& definition() const;
  const Schema& schema() const;  // the version records are written with

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace lagoa::schema

// IngestService: POST /v1/streams/NAME/events. Decodes the body, types every event against the
// stream's schema (once, here: downstream readers get binary records), appends the accepted ones
// to the stream's log and the rejected ones, with the reason, to NAME.dlq, and answers only after
// both appends are durable.
//
// Lifecycle: made by the server after the StreamRegistry; must outlive the HTTP server.
// Threads: Ingest() runs on HTTP I/O threads, each with its own encoders (thread_local); the reply
// callback runs on the log's I/O thread.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "ingest/stream_registry.h"

namespace lagoa::ingest {

struct IngestOptions {
  bool auto_create_streams = false;
  // Names a stream must not be auto-created under (tables share the namespace); may be unset.
  std::function<bool(std::string_view name)> name_taken;
  uint64_t max_body_bytes = 16ull << 20;  // after decompression
  size_t errors_listed_max = 100;
};

struct IngestRequest {
  std::string stream;
  std::string body;
  std::string content_type;
  std::string content_encoding;
};

struct IngestReply {
  unsigned http_status = 200;
  std::string body;  // JSON
  int retry_after_s = 0;
  uint64_t accepted = 0;  // events appended to the stream (the body says the same)
};

using IngestCallback = std::function<void(IngestReply)>;

class IngestService {
 public:
  IngestService(StreamRegistry* registry, IngestOptions options);
  // Calls `done` exactly once, possibly before returning.
  void Ingest(IngestRequest&& request, IngestCallback done);

 private:
  StreamRegistry* registry_;
  IngestOptions options_;
};

}  // namespace lagoa::ingest

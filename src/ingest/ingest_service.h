// IngestService: the one way events enter a stream, for every producer (HTTP's POST
// /v1/streams/NAME/events, SQL's INSERT INTO a stream, and the connectors and stream engine to
// come). JSON events are typed against the stream's schema once, here, so downstream readers get
// binary records; records already typed by the caller are appended as they are. Accepted events
// go to the stream's log, rejected ones with the reason to NAME.dlq, and the outcome is reported
// only after both appends are durable. The outcome and errors are typed (Status codes; no
// protocol): each front door turns them into its own answer.
//
// Lifecycle: made by the server after the StreamRegistry; must outlive every front door.
// Threads: AppendJson/AppendRecords run on the caller's thread (HTTP I/O threads, SQL workers)
// and never block on disk; encoders are thread_local. `done` runs on the log's I/O thread, or on
// the caller's thread when the request fails before any append.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/strong_int.h"
#include "ingest/body.h"
#include "ingest/stream_registry.h"
#include "log/log.h"

namespace lagoa::ingest {

struct IngestOptions {
  bool auto_create_streams = false;
  // Checks the name of a stream about to be auto-created against every other named object (the
  // node's catalog; tables and views share the namespace): not OK refuses it. May be unset.
  std::function<Status(std::string_view name)> check_new_name;
  uint64_t max_body_bytes = 16ull << 20;  // JSON bodies, after any decompression by the front door
  size_t errors_listed_max = 100;
};

// Events as JSON documents: NDJSON, a JSON array or one object (body.h). The body holds the
// events themselves; transfer compression is the front door's to undo (DecodeContent).
struct JsonAppend {
  std::string stream;
  std::string body;
  BodyFormat format = BodyFormat::kNdjson;
  // Optional (see ValidateIdempotencyKey): a retry with the key of a request that became durable
  // appends nothing and reports the first request's offsets (AppendOutcome::duplicate).
  std::string idempotency_key;
};

// Records the caller typed itself in the binary record format (src/schema/README.md) of one
// schema version of the stream, with their event times (BatchBuilder::Add).
struct RecordAppend {
  std::string stream;
  log::BatchBuilder batch{SchemaVersion(0)};
  std::string idempotency_key;  // as JsonAppend's
};

// A key is 1 to 255 bytes of visible ASCII (0x21-0x7E); InvalidArgument otherwise. Requests with a
// key go to the partition the key hashes to, so a retry meets its first try.
Status ValidateIdempotencyKey(std::string_view key);

struct RejectedEvent {
  uint64_t line = 0;  // as body.h numbers documents
  std::string error;
};

struct AppendOutcome {
  uint64_t accepted = 0;  // events appended to the stream
  uint64_t rejected = 0;  // events sent to the dead-letter stream
  PartitionId partition{0};
  std::optional<Offset> first_offset;  // set when accepted > 0
  std::optional<Offset> last_offset;
  std::vector<RejectedEvent> errors;  // the first IngestOptions::errors_listed_max rejections
  // Not OK when the rejected events could not be stored in the dead-letter stream (the accepted
  // ones are durable all the same).
  Status dead_letter_status;
  // The idempotency key named a request that was already durable: nothing was appended now, and
  // the offsets (and `accepted`) are the first request's.
  bool duplicate = false;
};

// Errors: NotFound (no such stream), AlreadyExists (the name is a table's, or a stream's spelled
// in another case), InvalidArgument (the body does not split into events, a dead-letter stream or
// schema version that cannot be written), ResourceExhausted (the log's queue is full: retry in
// about a second), DiskFull, Unavailable (the log has stopped or failed); every event rejected
// is an outcome with accepted == 0, not an error.
using AppendDone = std::function<void(Result<AppendOutcome>)>;

class IngestService {
 public:
  IngestService(StreamRegistry* registry, IngestOptions options);

  // Calls `done` exactly once, possibly before returning.
  void AppendJson(JsonAppend&& request, AppendDone done);
  void AppendRecords(RecordAppend&& request, AppendDone done);
  // AppendRecords, waiting for the outcome; for callers on their own worker thread.
  Result<AppendOutcome> AppendRecordsAndWait(RecordAppend&& request);

  const IngestOptions& options() const { return options_; }

 private:
  // The stream to append to, created when auto_create_streams allows it.
  Result<StreamHandle> Target(const std::string& stream, bool may_create, int64_t received_us);

  StreamRegistry* registry_;
  IngestOptions options_;
};

}  // namespace lagoa::ingest

// The lake benchmark's input: a real log::Log on disk holding one stream partition of synthetic
// events with ten columns (integers, strings, doubles, timestamps), encoded once from JSON by
// schema::JsonRecordEncoder exactly as the server's ingest path encodes them.
//
// Lifecycle: BuildEventLog() opens (and starts) a log in a fresh directory, appends the events
// and returns it running; the caller stops it by destroying EventLog. Threads: the caller's, plus
// the log's own I/O and maintenance threads.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>

#include "base/status.h"
#include "log/log.h"
#include "schema/schema.h"

namespace lagoa::bench {

struct EventLog {
  std::unique_ptr<log::Log> log;
  log::Partition* partition = nullptr;  // partition 0 of stream `events`, owned by `log`
  schema::StreamDefinition stream;
  uint64_t events = 0;
  uint64_t payload_bytes = 0;  // record bytes, without the log's batch framing

  EventLog() = default;
  EventLog(EventLog&&) = default;
  EventLog& operator=(EventLog&&) = default;
  ~EventLog();
};

// The benchmark stream: `events` with columns id BIGINT NOT NULL, user_id INTEGER, name VARCHAR,
// url VARCHAR, price DOUBLE, score DOUBLE, qty INTEGER, created TIMESTAMPTZ, updated TIMESTAMP,
// country VARCHAR.
schema::StreamDefinition BenchStreamDefinition();

// Appends `events` events (ids 0..events-1, every value derived from the id) to a new log under
// `dir`, which must not exist yet. Durability kNone: the benchmark times reading, not ingest.
Result<EventLog> BuildEventLog(const std::filesystem::path& dir, uint64_t events);

}  // namespace lagoa::bench

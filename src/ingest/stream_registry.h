// StreamRegistry: the streams of this node, each a catalog definition (schema versions) plus its
// log stream, plus the dead-letter stream NAME.dlq that receives the events NAME rejected.
// Creating, evolving and dropping go through here so the catalog and the log never disagree.
//
// Lifecycle: Open() after the log and catalog are open (it creates log streams the catalog has but
// the log lacks, e.g. after a crash between the two writes); lives until the server stops.
// Threads: every method is safe from any thread.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "log/log.h"
#include "schema/catalog.h"

namespace lagoa::ingest {

inline constexpr std::string_view kDeadLetterSuffix = ".dlq";

struct StreamHandle {
  std::shared_ptr<const schema::StreamDefinition> definition;
  log::Stream* log = nullptr;
};

class StreamRegistry {
 public:
  static Result<std::unique_ptr<StreamRegistry>> Open(log::Log* log, schema::Catalog* catalog,
                                                      log::RetentionPolicy default_retention);

  // Creates the stream and its dead-letter stream. Names ending in ".dlq" are reserved; a name
  // that differs from an existing stream's only in case is refused (AlreadyExists), since SQL
  // matches names ignoring case.
  Result<StreamHandle> Create(schema::StreamDefinition definition);
  std::optional<StreamHandle> Find(std::string_view name) const;
  std::vector<StreamHandle> List() const;
  // Adds nullable columns (inference); see schema::Catalog::AddColumns.
  Result<StreamHandle> AddColumns(std::string_view name, SchemaVersion expected_latest,
                                  std::vector<schema::Field> new_fields);
  // Drops the stream and its dead-letter stream, data included.
  Status Drop(std::string_view name);

  static std::string DeadLetterName(std::string_view stream) { return std::string(stream) + ".dlq"; }
  static bool IsDeadLetterName(std::string_view name) {
    return name.size() > kDeadLetterSuffix.size() && name.ends_with(kDeadLetterSuffix);
  }

 private:
  StreamRegistry(log::Log* log, schema::Catalog* catalog, log::RetentionPolicy retention)
      : log_(log), catalog_(catalog), retention_(retention) {}
  Result<StreamHandle> CreateOne(schema::StreamDefinition definition);  // REQUIRES: create_mu_ held
  Status EnsureLogStream(const schema::StreamDefinition& definition);

  log::Log* log_;
  schema::Catalog* catalog_;
  log::RetentionPolicy retention_;
  std::mutex create_mu_;  // serializes create and drop; lookups go to the thread-safe catalog and log
};

// The fixed schema of every dead-letter stream.
schema::StreamDefinition DeadLetterDefinition(std::string_view stream);

}  // namespace lagoa::ingest

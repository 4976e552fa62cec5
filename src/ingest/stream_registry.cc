#include "ingest/stream_registry.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "base/assert.h"
#include "base/clock.h"
#include "schema/schema.h"
#include "schema/types.h"

namespace lagoa::ingest {

schema::StreamDefinition DeadLetterDefinition(std::string_view stream) {
  schema::StreamDefinition def;
  def.name = StreamRegistry::DeadLetterName(stream);
  auto columns = schema::ParseColumns(
      "line BIGINT NOT NULL, raw VARCHAR, error VARCHAR NOT NULL, "
      "received_at TIMESTAMPTZ NOT NULL");
  LAGOA_ASSERT(columns.ok());
  schema::Schema first;
  first.version = SchemaVersion(1);
  first.fields = std::move(columns).value();
  def.versions.push_back(std::move(first));
  def.event_time_column = "received_at";
  def.partitions = 1;
  def.created_us = WallNowMicros();
  return def;
}

Result<std::unique_ptr<StreamRegistry>> StreamRegistry::Open(log::Log* log, schema::Catalog* catalog,
                                                             log::RetentionPolicy default_retention) {
  std::unique_ptr<StreamRegistry> registry(new StreamRegistry(log, catalog, default_retention));
  for (const auto& def : catalog->List()) LAGOA_RETURN_IF_ERROR(registry->EnsureLogStream(*def));
  return registry;
}

Status StreamRegistry::EnsureLogStream(const schema::StreamDefinition& definition) {
  log::Stream* existing = log_->FindStream(definition.name);
  if (existing != nullptr) {
    if (existing->partition_count() != definition.partitions) {
      return Status::Corruption(fmt::format("stream {}: the catalog says {} partitions but the log has {}",
                                            definition.name, definition.partitions, existing->partition_count()));
    }
    return Status::Ok();
  }
  log::StreamOptions options;
  options.partitions = definition.partitions;
  options.retention = retention_;
  auto created = log_->CreateStream(definition.name, options);
  if (!created.ok() && created.status().code() != StatusCode::kAlreadyExists) return created.status();
  return Status::Ok();
}

Result<StreamHandle> StreamRegistry::CreateOne(schema::StreamDefinition definition) {
  LAGOA_ASSIGN_OR_RETURN(auto def, catalog_->Create(std::move(definition)));
  if (Status status = EnsureLogStream(*def); !status.ok()) {
    catalog_->Drop(def->name).IgnoreError();  // the create failed as a whole; the log's error says why
    return status;
  }
  return StreamHandle{def, log_->FindStream(def->name)};
}

Result<StreamHandle> StreamRegistry::Create(schema::StreamDefinition definition) {
  if (IsDeadLetterName(definition.name)) {
    return Status::InvalidArgument(
        fmt::format("stream name `{}` ends in `.dlq`, which is reserved for dead-letter streams", definition.name));
  }
  std::lock_guard lock(create_mu_);
  std::string name = definition.name;
  // SQL matches names ignoring case, so two streams whose names differ only in case could not be
  // told apart in a query.
  for (const auto& existing : catalog_->List()) {
    if (existing->name != name && schema::EqualsIgnoreCase(existing->name, name)) {
      return Status::AlreadyExists(
          fmt::format("stream \"{}\" differs only in case from the existing stream \"{}\"; SQL matches names ignoring "
                      "case, so the two could not be told apart",
                      name, existing->name));
    }
  }
  if (catalog_->Find(name) == nullptr) {
    // The dead-letter stream first: a stream never exists without the place its rejects go.
    std::string dlq = DeadLetterName(name);
    if (catalog_->Find(dlq) == nullptr) {
      auto created = CreateOne(DeadLetterDefinition(name));
      if (!created.ok()) return created.status();
    }
  }
  return CreateOne(std::move(definition));
}

std::optional<StreamHandle> StreamRegistry::Find(std::string_view name) const {
  auto def = catalog_->Find(name);
  if (def == nullptr) return std::nullopt;
  log::Stream* stream = log_->FindStream(name);
  if (stream == nullptr) return std::nullopt;
  return StreamHandle{std::move(def), stream};
}

std::vector<StreamHandle> StreamRegistry::List() const {
  std::vector<StreamHandle> out;
  for (auto& def : catalog_->List()) {
    log::Stream* stream = log_->FindStream(def->name);
    if (stream != nullptr) out.push_back({def, stream});
  }
  return out;
}

Result<StreamHandle> StreamRegistry::AddColumns(std::string_view name, SchemaVersion expected_latest,
                                                std::vector<schema::Field> new_fields) {
  LAGOA_ASSIGN_OR_RETURN(auto def, catalog_->AddColumns(name, expected_latest, std::move(new_fields)));
  return StreamHandle{def, log_->FindStream(name)};
}

Status StreamRegistry::Drop(std::string_view name) {
  if (IsDeadLetterName(name)) {
    return Status::InvalidArgument(fmt::format("`{}` is a dead-letter stream; drop its stream `{}` instead", name,
                                               name.substr(0, name.size() - kDeadLetterSuffix.size())));
  }
  std::lock_guard lock(create_mu_);
  if (catalog_->Find(name) == nullptr) return Status::NotFound(fmt::format("stream `{}` does not exist", name));
  // Catalog first: once it is gone the stream is invisible, and a leftover log stream is dropped
  // again on the next try.
  for (const std::string& victim : {std::string(name), DeadLetterName(name)}) {
    if (catalog_->Find(victim) != nullptr) LAGOA_RETURN_IF_ERROR(catalog_->Drop(victim));
    if (log_->FindStream(victim) != nullptr) LAGOA_RETURN_IF_ERROR(log_->DropStream(victim));
  }
  return Status::Ok();
}

}  // namespace lagoa::ingest

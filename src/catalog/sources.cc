#include "catalog/sources.h"

#include "schema/schema.h"

namespace lagoa::catalog {

std::vector<Entry> StreamsSource::Entries(Detail /*detail*/) const {
  std::vector<Entry> entries;
  for (const ingest::StreamHandle& handle : registry_->List()) {
    const schema::StreamDefinition& def = *handle.definition;
    Entry entry;
    const bool dead_letters = ingest::StreamRegistry::IsDeadLetterName(def.name);
    entry.kind = dead_letters ? kDeadLetterStream : kStream;
    entry.name = def.name;
    entry.definition = schema::StreamDefinitionToJson(def);
    if (!dead_letters && def.lake.enabled) entry.location = FolderUri(lake_dir_ / def.name);
    if (def.created_us != 0) entry.created_ms = def.created_us / 1000;
    for (const schema::Field& field : def.latest().fields)
      entry.columns.push_back({field.name, field.type.ToSql(), {}});
    if (dead_letters) entry.derived_from.push_back(def.name.substr(0, def.name.size() - 4));  // "NAME.dlq"
    entries.push_back(std::move(entry));
  }
  return entries;
}

std::vector<Entry> TablesSource::Entries(Detail /*detail*/) const {
  std::vector<Entry> entries;
  for (const lake::AttachedTable& table : tables_->List()) {
    Entry entry;
    entry.kind = kAttachedTable;
    entry.name = table.name;
    entry.definition = table.path.string();
    entry.location = FolderUri(table.path);
    if (table.attached_ms != 0) entry.created_ms = table.attached_ms;
    entries.push_back(std::move(entry));
  }
  return entries;
}

}  // namespace lagoa::catalog

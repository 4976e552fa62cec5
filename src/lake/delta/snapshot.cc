#include "lake/delta/snapshot.h"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace lagoa::lake {

Status CheckReaderProtocol(const Protocol& protocol) {
  if (protocol.min_reader_version > kReaderVersionMax) {
    std::string features;
    if (!protocol.reader_features.empty()) {
      features = fmt::format(" with reader features [{}]", fmt::join(protocol.reader_features, ", "));
    }
    return Status::FailedPrecondition(
        fmt::format("the table needs Delta reader version {}{}; lagoa reads only reader version {} tables, so it "
                    "does not read this one",
                    protocol.min_reader_version, features, kReaderVersionMax));
  }
  if (protocol.min_reader_version < 1) {
    return Status::Corruption(
        fmt::format("protocol minReaderVersion {} is not a version", protocol.min_reader_version));
  }
  if (!protocol.reader_features.empty()) {
    return Status::FailedPrecondition(
        fmt::format("the table needs Delta reader features [{}], which lagoa does not "
                    "implement, so it does not read this table",
                    fmt::join(protocol.reader_features, ", ")));
  }
  return Status::Ok();
}

std::optional<int64_t> Snapshot::app_version(const std::string& app_id) const {
  auto it = app_versions_.find(app_id);
  if (it == app_versions_.end()) return std::nullopt;
  return it->second;
}

LogReplay::LogReplay(const Snapshot& base)
    : table_prefix_(base.table_prefix_),
      protocol_(base.protocol_),
      metadata_(base.metadata_),
      app_versions_(base.app_versions_),
      checkpoint_version_(base.checkpoint_version_) {
  files_.reserve(base.files_.size());
  for (const AddFile& file : base.files_) files_.emplace(file.path, file);
}

void LogReplay::Apply(Action action) {
  std::visit(
      [this](auto&& a) {
        using T = std::decay_t<decltype(a)>;
        if constexpr (std::is_same_v<T, Protocol>) {
          protocol_ = std::move(a);
        } else if constexpr (std::is_same_v<T, Metadata>) {
          metadata_ = std::move(a);
        } else if constexpr (std::is_same_v<T, AddFile>) {
          std::string path = a.path;
          files_.insert_or_assign(std::move(path), std::move(a));
        } else if constexpr (std::is_same_v<T, RemoveFile>) {
          files_.erase(a.path);
        } else if constexpr (std::is_same_v<T, Txn>) {
          app_versions_[a.app_id] = a.version;
        }
      },
      std::move(action));
}

Result<Snapshot> LogReplay::Finish(TableVersion version) && {
  if (!protocol_) return Status::Corruption(fmt::format("no protocol action up to version {}", version.value()));
  LAGOA_RETURN_IF_ERROR(CheckReaderProtocol(*protocol_));
  if (!metadata_) return Status::Corruption(fmt::format("no metaData action up to version {}", version.value()));
  if (metadata_->format_provider != "parquet") {
    return Status::FailedPrecondition(
        fmt::format("the table's data format is \"{}\"; lagoa reads only parquet", metadata_->format_provider));
  }
  Snapshot snapshot;
  LAGOA_ASSIGN_OR_RETURN(snapshot.columns_, ParseSparkSchema(metadata_->schema_string));
  for (const std::string& partition : metadata_->partition_columns) {
    bool known = std::any_of(snapshot.columns_.begin(), snapshot.columns_.end(),
                             [&](const DeltaColumn& c) { return c.name == partition; });
    if (!known) return Status::Corruption(fmt::format("partition column `{}` is not in the schema", partition));
  }
  snapshot.files_.reserve(files_.size());
  for (auto& [path, file] : files_) {
    if (file.has_deletion_vector) {
      return Status::FailedPrecondition(
          fmt::format("file \"{}\" has a deletion vector, which lagoa does not implement", path));
    }
    snapshot.files_.push_back(std::move(file));
  }
  std::sort(snapshot.files_.begin(), snapshot.files_.end(),
            [](const AddFile& a, const AddFile& b) { return a.path < b.path; });
  snapshot.version_ = version;
  snapshot.table_prefix_ = std::move(table_prefix_);
  snapshot.protocol_ = std::move(*protocol_);
  snapshot.metadata_ = std::move(*metadata_);
  snapshot.app_versions_ = std::move(app_versions_);
  snapshot.checkpoint_version_ = checkpoint_version_;
  return snapshot;
}

}  // namespace lagoa::lake

#include "lake/delta/delta_log.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>
#include <simdjson.h>

#include "base/assert.h"

namespace lagoa::lake {
namespace {

constexpr std::string_view kLogDir = "_delta_log/";
constexpr std::string_view kLastCheckpoint = "_last_checkpoint";
constexpr size_t kVersionDigits = 20;
constexpr size_t kPartDigits = 10;

// Parses exactly `digits` decimal digits at the front of `text` and drops them.
std::optional<int64_t> TakeDigits(std::string_view* text, size_t digits) {
  if (text->size() < digits) return std::nullopt;
  int64_t value = 0;
  for (size_t i = 0; i < digits; ++i) {
    char c = (*text)[i];
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
    if (value > (INT64_MAX - 9) / 10) return std::nullopt;
    value = value * 10 + (c - '0');
  }
  text->remove_prefix(digits);
  return value;
}

bool TakePrefix(std::string_view* text, std::string_view prefix) {
  if (!text->starts_with(prefix)) return false;
  text->remove_prefix(prefix.size());
  return true;
}

// A multi-part checkpoint being assembled from the listing: part number → key.
struct PartSet {
  std::map<int64_t, std::string> parts;
};

// Keeps the listing's complete checkpoints; a classic one wins over a multi-part one of the
// same version.
std::vector<LogListing::Checkpoint> CompleteCheckpoints(const std::map<int64_t, std::string>& classic,
                                                        const std::map<std::pair<int64_t, int64_t>, PartSet>& multi) {
  std::map<int64_t, LogListing::Checkpoint> by_version;
  for (const auto& [key, set] : multi) {
    auto [version, parts] = key;
    if (static_cast<int64_t>(set.parts.size()) != parts) continue;
    if (set.parts.begin()->first != 1 || set.parts.rbegin()->first != parts) continue;
    LogListing::Checkpoint checkpoint{TableVersion(version), static_cast<int>(parts), {}};
    for (const auto& [index, part_key] : set.parts) checkpoint.keys.push_back(part_key);
    by_version[version] = std::move(checkpoint);
  }
  for (const auto& [version, key] : classic) by_version[version] = {TableVersion(version), 1, {key}};
  std::vector<LogListing::Checkpoint> out;
  out.reserve(by_version.size());
  for (auto& [version, checkpoint] : by_version) out.push_back(std::move(checkpoint));
  return out;
}

// Whether `listing` holds the complete checkpoint `hint` names.
bool HasHintedCheckpoint(const LogListing& listing, const LastCheckpointHint& hint) {
  return std::any_of(listing.checkpoints.begin(), listing.checkpoints.end(), [&](const auto& c) {
    return c.version == hint.version && (!hint.parts || *hint.parts == c.parts);
  });
}

}  // namespace

std::string VersionFileStem(TableVersion version) { return fmt::format("{:020d}", version.value()); }

Result<bool> HasDeltaLog(ObjectStore* store, std::string_view table_prefix) {
  LAGOA_ASSIGN_OR_RETURN(std::vector<ObjectInfo> objects, store->List(std::string(table_prefix) + "_delta_log/"));
  return !objects.empty();
}

Result<LastCheckpointHint> ParseLastCheckpoint(std::string_view contents) {
  if (contents.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return Status::Corruption("_last_checkpoint is empty");
  }
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (auto error = parser.parse(contents.data(), contents.size(), true).get(root); error != simdjson::SUCCESS) {
    return Status::Corruption(fmt::format("_last_checkpoint is not valid JSON: {}", simdjson::error_message(error)));
  }
  int64_t version = 0;
  if (root["version"].get(version) != simdjson::SUCCESS || version < 0) {
    return Status::Corruption("_last_checkpoint has no non-negative integer `version`");
  }
  LastCheckpointHint hint{TableVersion(version), std::nullopt};
  simdjson::dom::element parts;
  if (root["parts"].get(parts) == simdjson::SUCCESS && !parts.is_null()) {
    int64_t count = 0;
    if (parts.get(count) != simdjson::SUCCESS || count < 1 || count > INT32_MAX) {
      return Status::Corruption("_last_checkpoint `parts` is not a positive integer");
    }
    hint.parts = static_cast<int>(count);
  }
  return hint;
}

DeltaLogReader::DeltaLogReader(ObjectStore* store, duck::Connection* duckdb, std::string table_prefix)
    : store_(store), duckdb_(duckdb), table_prefix_(std::move(table_prefix)) {
  LAGOA_ASSERT(store_ != nullptr && duckdb_ != nullptr);
  LAGOA_ASSERT_MSG(table_prefix_.empty() || table_prefix_.back() == '/', "table_prefix must be empty or end in '/'");
}

Result<LogListing> DeltaLogReader::List() { return ListFrom(std::nullopt); }

Result<LogListing> DeltaLogReader::ListFrom(std::optional<TableVersion> from) {
  const std::string log_prefix = table_prefix_ + std::string(kLogDir);
  // Keys of version v start with its 20-digit stem, which sorts after every earlier version's.
  const std::string start_after = from ? log_prefix + VersionFileStem(*from) : std::string();
  LAGOA_ASSIGN_OR_RETURN(std::vector<ObjectInfo> objects, store_->ListAfter(log_prefix, start_after));
  LogListing listing;
  std::map<int64_t, std::string> classic;
  std::map<std::pair<int64_t, int64_t>, PartSet> multi;
  for (ObjectInfo& object : objects) {
    std::string_view name = std::string_view(object.key).substr(log_prefix.size());
    if (name == kLastCheckpoint) {
      listing.last_checkpoint_key = object.key;
      continue;
    }
    std::optional<int64_t> version = TakeDigits(&name, kVersionDigits);
    if (!version) continue;  // .crc files, temporary files, other tools' files
    if (name == ".json") {
      listing.commits[*version] = object.key;
    } else if (name == ".checkpoint.parquet") {
      classic[*version] = object.key;
    } else if (TakePrefix(&name, ".checkpoint.")) {
      std::optional<int64_t> part = TakeDigits(&name, kPartDigits);
      if (!part || !TakePrefix(&name, ".")) continue;  // e.g. a v2 checkpoint <v>.checkpoint.<uuid>.parquet
      std::optional<int64_t> parts = TakeDigits(&name, kPartDigits);
      if (!parts || name != ".parquet" || *part < 1 || *part > *parts) continue;
      multi[{*version, *parts}].parts[*part] = object.key;
    }
  }
  listing.checkpoints = CompleteCheckpoints(classic, multi);
  if (listing.commits.empty() && listing.checkpoints.empty()) {
    return Status::NotFound(
        fmt::format("no Delta table at \"{}\": {} holds no commit or checkpoint", table_prefix_, log_prefix));
  }
  return listing;
}

std::optional<LastCheckpointHint> DeltaLogReader::ReadHint() {
  Result<std::string> contents = store_->Get(table_prefix_ + std::string(kLogDir) + std::string(kLastCheckpoint));
  if (!contents.ok() && contents.status().code() == StatusCode::kNotFound) return std::nullopt;
  Result<LastCheckpointHint> hint =
      contents.ok() ? ParseLastCheckpoint(*contents) : Result<LastCheckpointHint>(contents.status());
  if (!hint.ok()) {
    last_checkpoint_note_ = hint.status().message() + "; used the listing instead";
    return std::nullopt;
  }
  return *hint;
}

void DeltaLogReader::CheckHint(const LogListing& listing, const LastCheckpointHint& hint) {
  if (!HasHintedCheckpoint(listing, hint)) {
    last_checkpoint_note_ = fmt::format(
        "_last_checkpoint names version {}, which is not a complete checkpoint; used "
        "the listing instead",
        hint.version.value());
  }
}

Status DeltaLogReader::ReadCheckpoint(const LogListing::Checkpoint& checkpoint, LogReplay* replay) {
  std::string files;
  for (const std::string& key : checkpoint.keys) {
    LAGOA_ASSIGN_OR_RETURN(std::string location, store_->DuckDbLocation(key));
    files += (files.empty() ? "" : ", ") + duck::SqlStringLiteral(location);
  }
  // Each row holds one action in one of its struct columns (the others are null); as JSON it has
  // the shape of a commit line, so the same parser reads both.
  const std::string sql = fmt::format("SELECT to_json(cp)::VARCHAR FROM read_parquet([{}]) AS cp", files);
  auto rows = duckdb_->QueryText(sql);
  auto where = [&](const Status& s) {
    return s.WithContext(fmt::format("checkpoint {} ({} part(s))", checkpoint.version.value(), checkpoint.parts));
  };
  if (!rows.ok()) return where(rows.status());
  ActionParser parser;
  for (const duck::TextRow& row : *rows) {
    if (!row[0]) continue;
    auto action = parser.Parse(*row[0]);
    if (!action.ok()) return where(action.status());
    if (!action->has_value()) continue;
    // A checkpoint is already reconciled: its removes are tombstones of files that are not in the
    // table, so only the other actions matter.
    if (std::holds_alternative<RemoveFile>(**action)) continue;
    replay->Apply(std::move(**action));
  }
  replay->set_checkpoint_version(checkpoint.version);
  return Status::Ok();
}

Status DeltaLogReader::ReadCommit(int64_t version, const std::string& key, LogReplay* replay) {
  LAGOA_ASSIGN_OR_RETURN(std::string contents, store_->Get(key));
  auto actions = ParseCommitFile(contents);
  if (!actions.ok()) {
    // Keep the commit's own protocol, if a line holds one, so the caller can report an unreadable
    // protocol rather than a parse error in a table it must not read anyway.
    for (size_t start = 0; start < contents.size();) {
      size_t end = std::min(contents.find('\n', start), contents.size());
      auto action = ParseAction(std::string_view(contents).substr(start, end - start));
      if (action.ok() && action->has_value() && std::holds_alternative<Protocol>(**action)) {
        replay->Apply(std::move(**action));
      }
      start = end + 1;
    }
    return actions.status().WithContext(fmt::format("commit {}", version));
  }
  for (Action& action : *actions) replay->Apply(std::move(action));
  return Status::Ok();
}

namespace {

// A read error after an unreadable protocol was seen reports the protocol: that is the cause the
// user can act on, and the table must not be read anyway.
Status ProtocolOr(const LogReplay& replay, const Status& read_error) {
  if (replay.protocol()) {
    Status refused = CheckReaderProtocol(*replay.protocol());
    if (!refused.ok()) return refused;
  }
  return read_error;
}

}  // namespace

Result<Snapshot> DeltaLogReader::LoadSnapshot(std::optional<TableVersion> version) {
  last_checkpoint_note_.clear();
  std::optional<LastCheckpointHint> hint = ReadHint();
  std::optional<LogListing> hinted;
  if (hint && (!version || *version >= hint->version)) {
    auto partial = ListFrom(hint->version);
    if (partial.ok() && HasHintedCheckpoint(*partial, *hint)) hinted = std::move(partial).value();
  }
  if (!hinted) {
    LAGOA_ASSIGN_OR_RETURN(LogListing full, List());
    if (hint) CheckHint(full, *hint);
    hinted = std::move(full);
  }
  const LogListing& listing = *hinted;
  int64_t latest = listing.commits.empty() ? -1 : listing.commits.rbegin()->first;
  if (!listing.checkpoints.empty()) latest = std::max(latest, listing.checkpoints.back().version.value());
  const int64_t target = version ? version->value() : latest;
  if (target < 0 || target > latest) {
    return Status::NotFound(fmt::format("table version {} does not exist; the latest is {}", target, latest));
  }
  const LogListing::Checkpoint* checkpoint = nullptr;
  for (const auto& candidate : listing.checkpoints) {
    if (candidate.version.value() <= target) checkpoint = &candidate;
  }
  const int64_t first_commit = checkpoint != nullptr ? checkpoint->version.value() + 1 : 0;
  for (int64_t v = first_commit; v <= target; ++v) {
    if (!listing.commits.contains(v)) {
      return Status::NotFound(
          fmt::format("cannot rebuild table version {}: commit {} ({}.json) is missing and no "
                      "checkpoint covers it",
                      target, v, VersionFileStem(TableVersion(v))));
    }
  }
  LogReplay replay(table_prefix_);
  if (checkpoint != nullptr) {
    Status read = ReadCheckpoint(*checkpoint, &replay);
    if (!read.ok()) return ProtocolOr(replay, read);
  }
  for (int64_t v = first_commit; v <= target; ++v) {
    Status read = ReadCommit(v, listing.commits.at(v), &replay);
    if (!read.ok()) return ProtocolOr(replay, read);
  }
  return std::move(replay).Finish(TableVersion(target));
}

Result<bool> DeltaLogReader::IsLatest(const Snapshot& snapshot) {
  const auto commit_key = [&](int64_t version) {
    return table_prefix_ + "_delta_log/" + VersionFileStem(TableVersion(version)) + ".json";
  };
  LAGOA_ASSIGN_OR_RETURN(const bool exists, store_->Exists(commit_key(snapshot.version().value())));
  if (!exists) return false;
  LAGOA_ASSIGN_OR_RETURN(const bool newer, store_->Exists(commit_key(snapshot.version().value() + 1)));
  return !newer;
}

Result<Snapshot> DeltaLogReader::LoadSnapshotAfter(const Snapshot& base) {
  last_checkpoint_note_.clear();
  // Listed from the base's own commit: a log deleted or cut back since (by another tool, or a
  // table removed and written again) no longer has it, and is read from scratch, as is a log with
  // a gap after it.
  const int64_t base_version = base.version().value();
  Result<LogListing> listing = ListFrom(base.version());
  if (!listing.ok() && listing.status().code() == StatusCode::kNotFound) return LoadSnapshot();
  LAGOA_RETURN_IF_ERROR(listing.status());
  std::map<int64_t, std::string>& commits = listing->commits;
  const int64_t latest = commits.empty() ? -1 : commits.rbegin()->first;
  if (commits.empty() || commits.begin()->first != base_version ||
      latest - base_version + 1 != static_cast<int64_t>(commits.size())) {
    return LoadSnapshot();
  }
  if (latest == base_version) return base;
  commits.erase(commits.begin());
  LogReplay replay(base);
  for (const auto& [version, key] : commits) {
    Status read = ReadCommit(version, key, &replay);
    if (!read.ok()) return ProtocolOr(replay, read);
  }
  LAGOA_ASSIGN_OR_RETURN(Snapshot snapshot, std::move(replay).Finish(TableVersion(latest)));
  // Another table made in the same place (its metaData names another id) is read from scratch.
  if (snapshot.metadata().id != base.metadata().id) return LoadSnapshot();
  return snapshot;
}

}  // namespace lagoa::lake

// `lagoa log verify` and `lagoa log repair`: the operator's tools over a data directory's log
// (log/log_check.h). They work on the files, not through a server; repair rebuilds damaged ranges
// from the streams' lake tables (lake/load/loaded_records.h).
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>

#include <fmt/format.h>

#include "base/file_util.h"
#include "cli/commands.h"
#include "duck/connection.h"
#include "lake/delta/delta_log.h"
#include "lake/load/loaded_records.h"
#include "lake/store/open_object_store.h"
#include "log/log_check.h"
#include "schema/catalog.h"

namespace lagoa::cli {
namespace {

namespace fs = std::filesystem;

void PrintCheck(const log::PartitionCheck& check) {
  uint64_t bytes = 0;
  for (const log::SegmentCheck& segment : check.segments) bytes += segment.file_bytes;
  const Offset end = check.segments.empty() ? Offset(0) : check.segments.back().end;
  const Offset start = check.segments.empty() ? Offset(0) : check.segments.front().base;
  fmt::print("stream {} partition {}: {} segments, {} bytes, offsets {} to {}: {}\n", check.stream,
             check.partition.value(), check.segments.size(), bytes, start.value(), end.value() - 1,
             check.damaged() ? "DAMAGED" : "ok");
  for (const log::SegmentCheck& segment : check.segments) {
    for (const log::DamagedBytes& damage : segment.damage) {
      fmt::print("  {}: damaged batches at {}\n", segment.path.string(), log::DescribeDamage(damage));
    }
    if (segment.torn) {
      fmt::print("  {}: a torn last write at {} (a write in flight, or a crash's; the server cuts it off at start)\n",
                 segment.path.string(), log::DescribeDamage(*segment.torn));
    }
    if (segment.gap_batches > 0) {
      fmt::print("  {}: {} gap batches (offsets cut out by `lagoa log repair` or skipped past)\n",
                 segment.path.string(), segment.gap_batches);
    }
  }
}

Result<std::vector<log::PartitionCheck>> Check(const LogToolArgs& args) {
  const fs::path log_dir = fs::path(args.data_dir) / "log";
  if (!fs::is_directory(log_dir)) {
    return Status::NotFound(
        fmt::format("{} holds no log (expected the directory {})", args.data_dir, log_dir.string()));
  }
  LAGOA_ASSIGN_OR_RETURN(std::vector<log::PartitionCheck> checks, log::CheckLog(log_dir, args.stream));
  if (args.partition) {
    std::erase_if(checks, [&](const log::PartitionCheck& c) { return c.partition.value() != *args.partition; });
    if (checks.empty())
      return Status::NotFound(fmt::format("no partition {} in {}", *args.partition, log_dir.string()));
  }
  return checks;
}

// The lake's copy of a damaged range: the stream's table under `<data dir>/lake/<stream>/`, read
// back with the stream's latest schema (lake/load/loaded_records.h). Opened once per stream.
class LakeCopy {
 public:
  // Nothing (no source) when the data directory holds no catalog, no such stream or no table.
  static Result<std::unique_ptr<LakeCopy>> Open(const fs::path& data_dir, const std::string& stream) {
    std::unique_ptr<LakeCopy> none;
    if (!fs::is_directory(data_dir / "catalog") || !fs::is_directory(data_dir / "lake" / stream)) return none;
    LAGOA_ASSIGN_OR_RETURN(std::unique_ptr<schema::Catalog> catalog, schema::Catalog::Open(data_dir / "catalog"));
    std::shared_ptr<const schema::StreamDefinition> definition = catalog->Find(stream);
    if (definition == nullptr) return none;
    const std::string prefix = stream + "/";
    LAGOA_ASSIGN_OR_RETURN(std::unique_ptr<lake::ObjectStore> store,
                           lake::OpenObjectStore(fs::absolute(data_dir / "lake").string()));
    LAGOA_ASSIGN_OR_RETURN(bool has_log, lake::HasDeltaLog(store.get(), prefix));
    if (!has_log) return none;
    LAGOA_ASSIGN_OR_RETURN(std::unique_ptr<duck::Connection> duckdb,
                           duck::Connection::Make(duck::DatabaseOptions::Defaults()));
    LAGOA_ASSIGN_OR_RETURN(lake::Snapshot snapshot,
                           lake::DeltaLogReader(store.get(), duckdb.get(), prefix).LoadSnapshot());
    // A table older than the stream is an earlier stream's of the same name (whose drop could not
    // remove it): its offsets are not this stream's.
    const std::optional<int64_t> table_created_ms = snapshot.metadata().created_time_ms;
    if (table_created_ms && *table_created_ms < definition->created_us / 1000) {
      return Status::FailedPrecondition(
          fmt::format("the lake table {} was created before the stream ({} against {}, ms since the epoch): it is an "
                      "earlier stream's",
                      (data_dir / "lake" / stream).string(), *table_created_ms, definition->created_us / 1000));
    }
    return std::unique_ptr<LakeCopy>(
        new LakeCopy(std::move(definition), std::move(store), std::move(duckdb), std::move(snapshot)));
  }

  log::RebuildSource Source(PartitionId partition) {
    return [this, partition](Offset first, Offset end, const std::function<Status(const log::ReadRecord&)>& add) {
      return lake::ReadLoadedRecords(*duckdb_, snapshot_, *store_, definition_, partition, first, end, add);
    };
  }

 private:
  LakeCopy(std::shared_ptr<const schema::StreamDefinition> definition, std::unique_ptr<lake::ObjectStore> store,
           std::unique_ptr<duck::Connection> duckdb, lake::Snapshot snapshot)
      : definition_(std::move(definition)),
        store_(std::move(store)),
        duckdb_(std::move(duckdb)),
        snapshot_(std::move(snapshot)) {}

  std::shared_ptr<const schema::StreamDefinition> definition_;
  std::unique_ptr<lake::ObjectStore> store_;
  std::unique_ptr<duck::Connection> duckdb_;
  lake::Snapshot snapshot_;
};

// `gap_reason`: why offsets that became gaps were not rebuilt.
void PrintRepaired(const log::RepairedStretch& stretch, std::string_view gap_reason) {
  if (stretch.cut) {
    fmt::print("  repaired: cut {} off {}\n", log::DescribeDamage(stretch.damage), stretch.segment.string());
    return;
  }
  if (stretch.rebuilt_records > 0) {
    fmt::print("  repaired: {} events of offsets {} to {} rebuilt from the lake\n", stretch.rebuilt_records,
               stretch.damage.first_offset.value(), stretch.damage.end_offset->value() - 1);
  }
  for (const auto& [first, end] : stretch.gaps) {
    fmt::print("  repaired: offsets {} to {} are a gap now; their events are lost from the log ({})\n", first.value(),
               end.value() - 1, gap_reason);
  }
}

}  // namespace

int LogVerify(const LogToolArgs& args) {
  auto checks = Check(args);
  if (!checks.ok()) {
    fmt::print(stderr, "error: {}\n", checks.status().message());
    return 2;
  }
  bool damaged = false;
  for (const log::PartitionCheck& check : *checks) {
    PrintCheck(check);
    damaged = damaged || check.damaged();
  }
  if (damaged) {
    fmt::print(
        "damage found; `lagoa log repair --apply` (server stopped) rebuilds it from the lake where the lake holds "
        "it and cuts out the rest\n");
  }
  return damaged ? 1 : 0;
}

int LogRepair(const LogToolArgs& args, bool apply, bool without_lake) {
  auto lock = LockDataDir(args.data_dir);
  if (!lock.ok()) {
    fmt::print(stderr, "error: {}; stop the server first: repair rewrites its log files\n", lock.status().message());
    return 2;
  }
  auto checks = Check(args);
  int exit_code = 0;
  if (!checks.ok()) {
    fmt::print(stderr, "error: {}\n", checks.status().message());
    exit_code = 2;
  }
  std::map<std::string, std::unique_ptr<LakeCopy>> lake_copies;
  for (const log::PartitionCheck& check : checks.ok() ? *checks : std::vector<log::PartitionCheck>{}) {
    if (!check.damaged()) continue;
    PrintCheck(check);
    if (!apply) continue;
    log::RebuildSource source;
    if (!without_lake) {
      if (!lake_copies.contains(check.stream)) {
        auto copy = LakeCopy::Open(args.data_dir, check.stream);
        if (!copy.ok()) {
          fmt::print(stderr,
                     "error: stream {}: reading its lake table to rebuild from: {} (--without-lake cuts the damage "
                     "out instead)\n",
                     check.stream, copy.status().message());
          exit_code = 1;
          continue;
        }
        lake_copies[check.stream] = std::move(*copy);
      }
      if (LakeCopy* copy = lake_copies[check.stream].get()) source = copy->Source(check.partition);
    }
    auto repaired = log::RepairPartition(check, source);
    if (!repaired.ok()) {
      fmt::print(stderr, "error: stream {} partition {}: {}{}\n", check.stream, check.partition.value(),
                 repaired.status().message(), source ? " (--without-lake cuts the damage out instead)" : "");
      exit_code = 1;
      continue;
    }
    const std::string_view gap_reason = without_lake ? "--without-lake: the lake keeps those it loaded"
                                        : source     ? "the lake does not hold them either"
                                                     : "the stream has no lake table to rebuild from";
    for (const log::RepairedStretch& stretch : *repaired) PrintRepaired(stretch, gap_reason);
    fmt::print("  recorded in {}\n", (check.dir / "repairs").string());
  }
  if (checks.ok() && !apply) {
    const bool any = std::any_of(checks->begin(), checks->end(), [](const auto& c) { return c.damaged(); });
    fmt::print("{}\n", any ? "nothing changed: run again with --apply to repair" : "no damage found");
  }
  ::close(*lock);
  return exit_code;
}

}  // namespace lagoa::cli

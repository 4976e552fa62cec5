// `lagoa log verify` and `lagoa log repair`: the operator's tools over a data directory's log
// (log/log_check.h). They work on the files, not through a server.
#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include <fmt/format.h>

#include "base/file_util.h"
#include "cli/commands.h"
#include "log/log_check.h"

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
  if (damaged) fmt::print("damage found; `lagoa log repair --apply` (server stopped) cuts it out\n");
  return damaged ? 1 : 0;
}

int LogRepair(const LogToolArgs& args, bool apply) {
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
  for (const log::PartitionCheck& check : checks.ok() ? *checks : std::vector<log::PartitionCheck>{}) {
    if (!check.damaged()) continue;
    PrintCheck(check);
    if (!apply) continue;
    auto repaired = log::RepairPartition(check);
    if (!repaired.ok()) {
      fmt::print(stderr, "error: stream {} partition {}: {}\n", check.stream, check.partition.value(),
                 repaired.status().message());
      exit_code = 1;
      continue;
    }
    for (const log::RepairedStretch& stretch : *repaired) {
      if (stretch.gap) {
        fmt::print(
            "  repaired: offsets {} to {} are a gap now; their events are lost from the log (the lake keeps "
            "those it loaded)\n",
            stretch.gap->first.value(), stretch.gap->second.value() - 1);
      } else {
        fmt::print("  repaired: cut {} off {}\n", log::DescribeDamage(stretch.damage), stretch.segment.string());
      }
    }
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

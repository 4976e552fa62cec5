#include "base/file_faults.h"

#include <fcntl.h>
#include <fnmatch.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "base/parse_number.h"

namespace lagoa {
namespace {

enum class Action : uint8_t { kError, kShortWrite, kCrash, kCrashAfter };

struct Rule {
  std::optional<FileOp> op;  // nullopt: any operation
  uint64_t nth = 1;
  uint64_t times = 1;  // 0: every matching call from nth on
  Action action = Action::kError;
  int error = 0;
  std::string path_glob;  // empty: every path
  uint64_t matched = 0;   // matching calls so far
};

struct Faults {
  std::mutex mu;
  std::vector<Rule> rules;  // GUARDED_BY(mu)
  int trace_fd = -1;        // GUARDED_BY(mu)
  uint64_t hit = 0;         // GUARDED_BY(mu)
};

Faults& TheFaults() {
  static auto* faults = new Faults();  // never destroyed: hooks may run during exit
  return *faults;
}

std::atomic<bool> g_active{false};  // any rule or a trace is set

constexpr std::array<std::pair<std::string_view, int>, 6> kErrnoNames{{
    {"EIO", EIO},
    {"ENOSPC", ENOSPC},
    {"EDQUOT", EDQUOT},
    {"EFBIG", EFBIG},
    {"EROFS", EROFS},
    {"EMFILE", EMFILE},
}};

constexpr std::array<FileOp, 6> kOps{FileOp::kOpen,   FileOp::kWrite, FileOp::kSync,
                                     FileOp::kRename, FileOp::kLink,  FileOp::kTruncate};

std::string_view ErrnoName(int error) {
  for (const auto& [name, number] : kErrnoNames) {
    if (number == error) return name;
  }
  return "?";
}

Status BadRule(std::string_view rule, std::string_view what) {
  return Status::InvalidArgument(fmt::format("file faults: rule \"{}\": {}", rule, what));
}

Status SetKey(std::string_view rule, std::string_view key, std::string_view value, Rule& out) {
  if (key == "op") {
    if (value == "any") return Status::Ok();
    for (FileOp op : kOps) {
      if (value == FileOpName(op)) {
        out.op = op;
        return Status::Ok();
      }
    }
    return BadRule(rule,
                   fmt::format("op \"{}\": expected one of open, write, sync, rename, link, truncate, any", value));
  }
  if (key == "nth" || key == "times") {
    std::optional<uint64_t> number = ParseInteger<uint64_t>(value);
    if (!number || (key == "nth" && *number == 0)) {
      return BadRule(rule,
                     fmt::format("{} \"{}\": expected a whole number{}", key, value, key == "nth" ? " from 1" : ""));
    }
    (key == "nth" ? out.nth : out.times) = *number;
    return Status::Ok();
  }
  if (key == "do") {
    if (value == "short") {
      out.action = Action::kShortWrite;
    } else if (value == "crash") {
      out.action = Action::kCrash;
    } else if (value == "crash-after") {
      out.action = Action::kCrashAfter;
    } else {
      for (const auto& [name, number] : kErrnoNames) {
        if (value == name) out.error = number;
      }
      if (out.error == 0) {
        return BadRule(rule, fmt::format("do \"{}\": expected EIO, ENOSPC, EDQUOT, EFBIG, EROFS, EMFILE, short, "
                                         "crash or crash-after",
                                         value));
      }
    }
    return Status::Ok();
  }
  if (key == "path") {
    out.path_glob = value;
    return Status::Ok();
  }
  return BadRule(rule, fmt::format("unknown key \"{}\": expected op, nth, times, do or path", key));
}

Result<Rule> ParseRule(std::string_view text) {
  Rule rule;
  bool has_action = false;
  std::string_view rest = text;
  while (!rest.empty()) {
    const size_t comma = rest.find(',');
    const std::string_view item = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    const size_t equals = item.find('=');
    if (equals == std::string_view::npos) return BadRule(text, fmt::format("\"{}\": expected key=value", item));
    const std::string_view key = item.substr(0, equals);
    LAGOA_RETURN_IF_ERROR(SetKey(text, key, item.substr(equals + 1), rule));
    has_action = has_action || key == "do";
  }
  if (!has_action) return BadRule(text, "no do=: expected what the call does");
  if (rule.action == Action::kShortWrite && rule.op != FileOp::kWrite) {
    return BadRule(text, "do=short applies to op=write only");
  }
  return rule;
}

bool Matches(const Rule& rule, FileOp op, const std::filesystem::path& path) {
  if (rule.op && *rule.op != op) return false;
  return rule.path_glob.empty() || ::fnmatch(rule.path_glob.c_str(), path.c_str(), 0) == 0;
}

void WriteToFd(int fd, std::string_view text) {
  while (!text.empty()) {
    const ssize_t n = ::write(fd, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    text.remove_prefix(static_cast<size_t>(n));
  }
}

[[noreturn]] void Crash(std::string_view when, FileOp op, const std::filesystem::path& path) {
  WriteToFd(STDERR_FILENO, fmt::format("lagoa: file faults: crashing {} {} {}\n", when, FileOpName(op), path.string()));
  ::raise(SIGKILL);
  std::abort();  // not reached: SIGKILL cannot be caught
}

}  // namespace

std::string_view FileOpName(FileOp op) {
  switch (op) {
    case FileOp::kOpen:
      return "open";
    case FileOp::kWrite:
      return "write";
    case FileOp::kSync:
      return "sync";
    case FileOp::kRename:
      return "rename";
    case FileOp::kLink:
      return "link";
    case FileOp::kTruncate:
      return "truncate";
  }
  return "?";
}

Status SetFileFaults(std::string_view text) {
  std::vector<Rule> rules;
  while (!text.empty()) {
    const size_t semicolon = text.find(';');
    const std::string_view item = text.substr(0, semicolon);
    text = semicolon == std::string_view::npos ? std::string_view() : text.substr(semicolon + 1);
    if (item.empty()) continue;
    LAGOA_ASSIGN_OR_RETURN(Rule rule, ParseRule(item));
    rules.push_back(std::move(rule));
  }
  Faults& faults = TheFaults();
  std::lock_guard lock(faults.mu);
  faults.rules = std::move(rules);
  faults.hit = 0;
  g_active.store(!faults.rules.empty() || faults.trace_fd >= 0, std::memory_order_release);
  return Status::Ok();
}

Status SetFileFaultsFromEnvironment() {
  int trace_fd = -1;
  if (const char* trace = std::getenv("LAGOA_FAULT_TRACE"); trace != nullptr && *trace != '\0') {
    trace_fd = ::open(trace, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (trace_fd < 0) return Status::FromErrno(fmt::format("LAGOA_FAULT_TRACE: open {}", trace), errno);
  }
  {
    Faults& faults = TheFaults();
    std::lock_guard lock(faults.mu);
    if (faults.trace_fd >= 0) ::close(faults.trace_fd);
    faults.trace_fd = trace_fd;
  }
  const char* rules = std::getenv("LAGOA_FAULTS");
  return SetFileFaults(rules != nullptr ? rules : "").WithContext("LAGOA_FAULTS");
}

uint64_t FileFaultsHit() {
  Faults& faults = TheFaults();
  std::lock_guard lock(faults.mu);
  return faults.hit;
}

FileFault CheckFileFault(FileOp op, const std::filesystem::path& path) {
  if (!g_active.load(std::memory_order_relaxed)) return {};
  Faults& faults = TheFaults();
  std::lock_guard lock(faults.mu);
  if (faults.trace_fd >= 0) WriteToFd(faults.trace_fd, fmt::format("{} {}\n", FileOpName(op), path.string()));
  for (Rule& rule : faults.rules) {
    if (!Matches(rule, op, path)) continue;
    const uint64_t call = ++rule.matched;
    if (call < rule.nth || (rule.times != 0 && call >= rule.nth + rule.times)) return {};
    ++faults.hit;
    switch (rule.action) {
      case Action::kError:
        WriteToFd(STDERR_FILENO, fmt::format("lagoa: file faults: failing {} {} with {}\n", FileOpName(op),
                                             path.string(), ErrnoName(rule.error)));
        return {.error = rule.error};
      case Action::kShortWrite:
        return {.short_write = true};
      case Action::kCrash:
        Crash("before", op, path);
      case Action::kCrashAfter:
        return {.crash_after = true};
    }
  }
  return {};
}

void CrashAfterFileOp(FileOp op, const std::filesystem::path& path) { Crash("after", op, path); }

}  // namespace lagoa

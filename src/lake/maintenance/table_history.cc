#include "lake/maintenance/table_history.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <cctype>

#include "base/clock.h"

namespace lagoa::lake {
namespace {

using simdjson::dom::element;
using simdjson::dom::object;

constexpr std::string_view kLogDir = "_delta_log/";
constexpr size_t kVersionDigits = 20;

struct CommitFile {
  TableVersion version;
  std::string key;
  int64_t modified_ms = 0;
};

// The JSON commits in `_delta_log/`, ascending by version.
Result<std::vector<CommitFile>> ListCommits(ObjectStore* store, const std::string& table_prefix) {
  const std::string log_prefix = table_prefix + std::string(kLogDir);
  LAGOA_ASSIGN_OR_RETURN(std::vector<ObjectInfo> objects, store->List(log_prefix));
  std::vector<CommitFile> commits;
  for (ObjectInfo& object : objects) {
    std::string_view name = std::string_view(object.key).substr(log_prefix.size());
    if (name.size() != kVersionDigits + 5 || !name.ends_with(".json")) continue;
    int64_t version = 0;
    bool digits = true;
    for (size_t i = 0; i < kVersionDigits && digits; ++i) {
      digits = std::isdigit(static_cast<unsigned char>(name[i])) != 0;
      version = version * 10 + (name[i] - '0');
    }
    if (digits) commits.push_back({TableVersion(version), std::move(object.key), object.modified_ms});
  }
  if (commits.empty()) {
    return Status::NotFound(fmt::format("no Delta table at \"{}\": {} holds no commit", table_prefix, log_prefix));
  }
  return commits;  // List() sorts by key, and 20-digit names sort by version
}

std::string ValueText(element value) {
  std::string_view text;
  if (value.get(text) == simdjson::SUCCESS) return std::string(text);
  return simdjson::minify(value);
}

void ReadCommitInfo(object info, CommitSummary& summary, std::optional<int64_t>& in_commit_ms,
                    std::optional<int64_t>& timestamp_ms) {
  int64_t number = 0;
  if (info["inCommitTimestamp"].get(number) == simdjson::SUCCESS) in_commit_ms = number;
  if (info["timestamp"].get(number) == simdjson::SUCCESS) timestamp_ms = number;
  std::string_view text;
  if (info["operation"].get(text) == simdjson::SUCCESS) summary.operation = std::string(text);
  if (info["engineInfo"].get(text) == simdjson::SUCCESS) summary.engine_info = std::string(text);
  object parameters;
  if (info["operationParameters"].get(parameters) == simdjson::SUCCESS) {
    for (auto [key, value] : parameters) summary.operation_parameters[std::string(key)] = ValueText(value);
  }
}

void ReadAdd(object add, simdjson::dom::parser& stats_parser, CommitSummary& summary) {
  ++summary.files_added;
  int64_t number = 0;
  if (add["size"].get(number) == simdjson::SUCCESS) summary.bytes_added += number;
  std::string_view stats;
  if (add["stats"].get(stats) != simdjson::SUCCESS) return;
  element parsed;
  if (stats_parser.parse(stats.data(), stats.size(), true).get(parsed) != simdjson::SUCCESS) return;
  if (parsed["numRecords"].get(number) == simdjson::SUCCESS) summary.rows_added += number;
}

// Summarizes one commit file. Unknown actions and fields are ignored; a line that is not JSON is
// Corruption naming the commit and line.
Result<CommitSummary> Summarize(const CommitFile& commit, std::string_view contents) {
  CommitSummary summary;
  summary.version = commit.version;
  std::optional<int64_t> in_commit_ms;
  std::optional<int64_t> timestamp_ms;
  simdjson::dom::parser parser;
  simdjson::dom::parser stats_parser;
  size_t line_number = 0;
  while (!contents.empty()) {
    ++line_number;
    const size_t newline = contents.find('\n');
    std::string_view line = contents.substr(0, newline);
    contents.remove_prefix(newline == std::string_view::npos ? contents.size() : newline + 1);
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    object root;
    if (parser.parse(line.data(), line.size(), true).get(root) != simdjson::SUCCESS) {
      return Status::Corruption(fmt::format("{} line {}: not a JSON object", commit.key, line_number));
    }
    object body;
    if (root["commitInfo"].get(body) == simdjson::SUCCESS) ReadCommitInfo(body, summary, in_commit_ms, timestamp_ms);
    if (root["add"].get(body) == simdjson::SUCCESS) ReadAdd(body, stats_parser, summary);
    if (root["remove"].get(body) == simdjson::SUCCESS) ++summary.files_removed;
  }
  summary.timestamp_ms = in_commit_ms.value_or(timestamp_ms.value_or(commit.modified_ms));
  return summary;
}

Result<CommitSummary> ReadSummary(ObjectStore* store, const CommitFile& commit) {
  LAGOA_ASSIGN_OR_RETURN(std::string contents, store->Get(commit.key));
  return Summarize(commit, contents);
}

std::string FormatMs(int64_t ms) { return FormatRfc3339Micros(ms * 1000); }

}  // namespace

Result<std::vector<CommitSummary>> ReadHistory(ObjectStore* store, const std::string& table_prefix,
                                               std::optional<int64_t> limit) {
  if (limit && *limit < 1) return Status::InvalidArgument(fmt::format("history limit must be >= 1, got {}", *limit));
  LAGOA_ASSIGN_OR_RETURN(std::vector<CommitFile> commits, ListCommits(store, table_prefix));
  const size_t count = limit ? std::min(commits.size(), static_cast<size_t>(*limit)) : commits.size();
  std::vector<CommitSummary> history;
  history.reserve(count);
  for (auto it = commits.rbegin(); history.size() < count; ++it) {
    LAGOA_ASSIGN_OR_RETURN(CommitSummary summary, ReadSummary(store, *it));
    history.push_back(std::move(summary));
  }
  return history;
}

Result<TableVersion> VersionAtTimestamp(ObjectStore* store, const std::string& table_prefix, int64_t timestamp_ms) {
  LAGOA_ASSIGN_OR_RETURN(std::vector<CommitFile> commits, ListCommits(store, table_prefix));
  int64_t earliest_ms = 0;
  for (auto it = commits.rbegin(); it != commits.rend(); ++it) {
    LAGOA_ASSIGN_OR_RETURN(CommitSummary summary, ReadSummary(store, *it));
    if (summary.timestamp_ms <= timestamp_ms) return summary.version;
    earliest_ms = summary.timestamp_ms;
  }
  return Status::NotFound(fmt::format("no version at {}: the earliest commit in its log is version {} at {}",
                                      FormatMs(timestamp_ms), commits.front().version.value(), FormatMs(earliest_ms)));
}

}  // namespace lagoa::lake

// `lagoa table …`: readable summaries of the /v1/tables routes (or their JSON with --json).
#include <simdjson.h>

#include <charconv>
#include <cstdio>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "base/json_writer.h"
#include "cli/commands.h"
#include "cli/http_client.h"
#include "cli/server_request.h"

namespace lagoa::cli {
namespace {

std::string Bytes(simdjson::dom::element object, std::string_view key) {
  uint64_t bytes = 0;
  if (object[key].get(bytes) != simdjson::SUCCESS) return "-";
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1024 && unit < 4) {
    value /= 1024;
    ++unit;
  }
  return unit == 0 ? fmt::format("{} B", bytes) : fmt::format("{:.1f} {}", value, units[unit]);
}

void PrintDescription(simdjson::dom::element table) {
  bool read_only = false;
  if (table["read_only"].get(read_only) != simdjson::SUCCESS) read_only = false;
  std::printf("table        %s (%s, %s)\n", Field(table, "name").c_str(), Field(table, "kind").c_str(),
              read_only ? "read-only" : "read-write");
  std::printf("path         %s\n", Field(table, "path").c_str());
  if (table["version"].is_null()) {
    std::printf("version      none yet (nothing loaded)\n");
    return;
  }
  std::printf("version      %s (checkpoint %s)\n", Field(table, "version").c_str(),
              Field(table, "checkpoint_version").c_str());
  std::printf("files        %s\nrows         %s\nsize         %s\n", Field(table, "files").c_str(),
              Field(table, "rows").c_str(), Bytes(table, "size_bytes").c_str());
  simdjson::dom::array partition_columns;
  std::string partitioning;
  if (table["partition_columns"].get(partition_columns) == simdjson::SUCCESS) {
    for (simdjson::dom::element c : partition_columns) partitioning += (partitioning.empty() ? "" : ", ") + Text(c);
  }
  std::printf("partitions   %s\n",
              partitioning.empty()
                  ? "none"
                  : fmt::format("{} values of ({})", Field(table, "partitions"), partitioning).c_str());
  std::vector<std::vector<std::string>> columns = {{"  column", "type", "delta type", "nullable"}};
  simdjson::dom::array array;
  if (table["columns"].get(array) == simdjson::SUCCESS) {
    for (simdjson::dom::element c : array) {
      columns.push_back({"  " + Field(c, "name"), Field(c, "type"), Field(c, "delta_type"), Field(c, "nullable")});
    }
  }
  std::printf("columns\n");
  PrintAligned(columns);
  simdjson::dom::object apps;
  if (table["applications"].get(apps) == simdjson::SUCCESS && apps.size() > 0) {
    std::printf("loaded up to (txn)\n");
    for (auto [app, version] : apps) std::printf("  %s = %s\n", std::string(app).c_str(), Text(version).c_str());
  }
}

}  // namespace

int TableList(const std::string& url, bool json) {
  if (json) return SimpleRequest(url, "GET", "/v1/tables");
  JsonReply reply;
  if (auto code = RequestJson(url, "GET", "/v1/tables", "", &reply)) return *code;
  std::vector<std::vector<std::string>> rows = {{"NAME", "KIND", "VERSION", "FILES", "ROWS", "SIZE", "PATH"}};
  simdjson::dom::array tables;
  if (reply.doc["tables"].get(tables) == simdjson::SUCCESS) {
    for (simdjson::dom::element t : tables) {
      if (t["error"].error() == simdjson::SUCCESS) {
        rows.push_back({Field(t, "name"), Field(t, "kind"), "error: " + Field(t["error"].value(), "error"), "", "", "",
                        Field(t, "path")});
        continue;
      }
      rows.push_back({Field(t, "name"), Field(t, "kind"), Field(t, "version"), Field(t, "files"), Field(t, "rows"),
                      Bytes(t, "size_bytes"), Field(t, "path")});
    }
  }
  PrintAligned(rows);
  return 0;
}

int TableDescribe(const std::string& url, const std::string& name, bool json) {
  const std::string target = "/v1/tables/" + UrlEncode(name);
  if (json) return SimpleRequest(url, "GET", target);
  JsonReply reply;
  if (auto code = RequestJson(url, "GET", target, "", &reply)) return *code;
  PrintDescription(reply.doc);
  return 0;
}

int TableHistory(const std::string& url, const std::string& name, int64_t limit, bool json) {
  std::string target = "/v1/tables/" + UrlEncode(name) + "/history";
  if (limit > 0) target += fmt::format("?limit={}", limit);
  if (json) return SimpleRequest(url, "GET", target);
  JsonReply reply;
  if (auto code = RequestJson(url, "GET", target, "", &reply)) return *code;
  std::vector<std::vector<std::string>> rows = {
      {"VERSION", "TIMESTAMP", "OPERATION", "+FILES", "-FILES", "+ROWS", "PARAMETERS"}};
  simdjson::dom::array commits;
  if (reply.doc["commits"].get(commits) == simdjson::SUCCESS) {
    for (simdjson::dom::element c : commits) {
      rows.push_back({Field(c, "version"), Field(c, "timestamp"), Field(c, "operation"), Field(c, "files_added"),
                      Field(c, "files_removed"), Field(c, "rows_added"), Field(c, "operation_parameters")});
    }
  }
  PrintAligned(rows);
  return 0;
}

int TableCompact(const std::string& url, const std::string& name) {
  JsonReply reply;
  if (auto code = RequestJson(url, "POST", "/v1/tables/" + UrlEncode(name) + "/compact", "", &reply)) {
    return *code;
  }
  if (reply.doc["version"].is_null()) {
    std::printf("nothing to compact in %s\n", name.c_str());
  } else {
    std::printf("compacted %s files (%s) into %s (%s), %s rows, as version %s\n",
                Field(reply.doc, "files_removed").c_str(), Bytes(reply.doc, "bytes_removed").c_str(),
                Field(reply.doc, "files_added").c_str(), Bytes(reply.doc, "bytes_added").c_str(),
                Field(reply.doc, "rows").c_str(), Field(reply.doc, "version").c_str());
  }
  return 0;
}

int TableVacuum(const std::string& url, const VacuumArgs& args) {
  std::string target = fmt::format("/v1/tables/{}/vacuum?dry_run={}&allow_short_retention={}", UrlEncode(args.name),
                                   args.dry_run, args.allow_short_retention);
  if (args.retain_hours) target += fmt::format("&retain_hours={}", *args.retain_hours);
  JsonReply reply;
  if (auto code = RequestJson(url, "POST", target, "", &reply)) return *code;
  std::printf("%s %s files (%s) of %s\n", args.dry_run ? "would delete" : "deleted",
              Field(reply.doc, "files_deleted").c_str(), Bytes(reply.doc, "bytes_deleted").c_str(), args.name.c_str());
  simdjson::dom::array files;
  if (args.dry_run && reply.doc["files"].get(files) == simdjson::SUCCESS) {
    for (simdjson::dom::element f : files) std::printf("  %s\n", Text(f).c_str());
  }
  return 0;
}

int TableAttach(const std::string& url, const std::string& name, const std::string& path) {
  JsonWriter w;
  w.BeginObject().Key("name").String(name).Key("path").String(path).EndObject();
  JsonReply reply;
  if (auto code = RequestJson(url, "POST", "/v1/tables", w.str(), &reply)) return *code;
  PrintDescription(reply.doc);
  return 0;
}

int TableDetach(const std::string& url, const std::string& name) {
  JsonReply reply;
  if (auto code = RequestJson(url, "DELETE", "/v1/tables/" + UrlEncode(name), "", &reply)) return *code;
  std::printf("detached %s (its files are untouched)\n", name.c_str());
  return 0;
}

int TableCat(const std::string& url, const CatArgs& args) {
  auto client = HttpClient::Make(url);
  if (!client.ok()) return PrintTransportError(client.status());
  std::string pin;  // the version every page reads, fixed by the first page
  if (args.version) pin = fmt::format("&version={}", *args.version);
  if (!args.timestamp.empty()) pin = "&timestamp=" + UrlEncode(args.timestamp);
  int64_t offset = 0;
  for (;;) {
    int64_t want = 10'000;
    if (args.limit >= 0) want = std::min<int64_t>(want, args.limit - offset);
    if (want <= 0) return 0;
    auto r = (*client)->Request(
        "GET", fmt::format("/v1/tables/{}/rows?offset={}&limit={}{}", UrlEncode(args.name), offset, want, pin));
    if (!r.ok()) return PrintTransportError(r.status());
    if (r->status != 200) return PrintServerError(*r);
    std::fwrite(r->body.data(), 1, r->body.size(), stdout);
    std::string next = r->Header("Lagoa-Next-Offset");
    if (next.empty()) return 0;
    int64_t parsed = 0;
    auto [end, ec] = std::from_chars(next.data(), next.data() + next.size(), parsed);
    if (ec != std::errc() || end != next.data() + next.size() || parsed <= offset) {
      std::fprintf(stderr, "error: the server sent a bad Lagoa-Next-Offset header: %s\n", next.c_str());
      return 2;
    }
    offset = parsed;
    pin = "&version=" + r->Header("Lagoa-Table-Version");
  }
}

}  // namespace lagoa::cli

// `lagoa ingest NAME FILE…|-`: pushes NDJSON or CSV files to a stream in batches, with a progress
// line on a terminal and a summary at the end. Each batch carries an Idempotency-Key (this run's
// random id and the batch's number), so it is retried — on 429 and 503, and when a server that
// answered before cannot be reached or dies before answering — without being stored twice.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <random>
#include <thread>

#include <fmt/format.h>
#include <simdjson.h>

#include "base/csv.h"
#include "base/json_writer.h"
#include "base/parse_number.h"
#include "cli/commands.h"
#include "cli/http_client.h"

namespace lagoa::cli {
namespace {

constexpr size_t kBatchBytesMax = 4 << 20;
constexpr int kRetriesMax = 100;
constexpr auto kUnreachableRetryInterval = std::chrono::milliseconds(500);

// 128 random bits as hex: this run's part of every batch's Idempotency-Key.
std::string NewRunId() {
  std::random_device random;
  return fmt::format("{:08x}{:08x}{:08x}{:08x}", random(), random(), random(), random());
}

struct Totals {
  uint64_t accepted = 0;
  uint64_t rejected = 0;
  uint64_t bytes = 0;
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_progress;
};

class Uploader {
 public:
  Uploader(HttpClient* client, const IngestArgs& args) : client_(client), args_(args), run_id_(NewRunId()) {}

  // Adds one NDJSON line read at `line` of `file`.
  Status Add(const std::string& file, uint64_t line, std::string_view json) {
    if (lines_.empty()) {
      batch_file_ = file;
    } else if (file != batch_file_) {
      LAGOA_RETURN_IF_ERROR(Flush());
      batch_file_ = file;
    }
    lines_.push_back(line);
    body_.append(json);
    body_ += '\n';
    if (lines_.size() >= args_.batch_events || body_.size() >= kBatchBytesMax) return Flush();
    return Status::Ok();
  }

  Status Flush() {
    if (lines_.empty()) return Status::Ok();
    std::string target = "/v1/streams/" + UrlEncode(args_.stream) + "/events";
    const std::vector<std::pair<std::string, std::string>> key = {
        {"Idempotency-Key", fmt::format("lagoa-ingest-{}-{}", run_id_, batches_sent_)}};
    for (int attempt = 0;; ++attempt) {
      auto r = client_->Request("POST", target, body_, "application/x-ndjson", key);
      // A server that answered before and is gone now is restarting; one never reached is an error.
      if (!r.ok() && r.status().code() == StatusCode::kUnavailable && server_answered_ && attempt < kRetriesMax) {
        std::this_thread::sleep_for(kUnreachableRetryInterval);
        continue;
      }
      if (!r.ok()) return r.status();
      server_answered_ = true;
      if ((r->status == 429 || r->status == 503) && attempt < kRetriesMax) {
        std::string after = r->Header("Retry-After");
        // Retry-After in whole seconds (at most a minute); anything else waits half a second.
        const std::optional<int> seconds = ParseInteger<int>(after);
        const bool usable = seconds && *seconds >= 0 && *seconds <= 60;
        std::this_thread::sleep_for(std::chrono::milliseconds(usable ? 1000 * *seconds : 500));
        continue;
      }
      if (r->status != 200 && r->status != 400) {
        return Status::Unavailable(fmt::format("HTTP {}: {}", r->status, r->body));
      }
      LAGOA_RETURN_IF_ERROR(Record(*r));
      break;
    }
    totals_.bytes += body_.size();
    ++batches_sent_;
    body_.clear();
    lines_.clear();
    Progress(false);
    return Status::Ok();
  }

  void Progress(bool final) {
    auto now = std::chrono::steady_clock::now();
    if (!args_.progress || (!final && now - totals_.last_progress < std::chrono::milliseconds(200))) return;
    totals_.last_progress = now;
    double seconds = std::chrono::duration<double>(now - totals_.start).count();
    std::fprintf(stderr, "\r%llu accepted, %llu rejected, %.1f MB, %.0f events/s   ",
                 static_cast<unsigned long long>(totals_.accepted), static_cast<unsigned long long>(totals_.rejected),
                 static_cast<double>(totals_.bytes) / 1e6,
                 seconds > 0 ? static_cast<double>(totals_.accepted + totals_.rejected) / seconds : 0.0);
    if (final) std::fprintf(stderr, "\n");
  }

  const Totals& totals() const { return totals_; }

 private:
  Status Record(const HttpResult& r) {
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    if (parser.parse(r.body).get(doc) != simdjson::SUCCESS) {
      return Status::Internal(fmt::format("server answered HTTP {} with a body that is not JSON", r.status));
    }
    int64_t accepted = 0, rejected = 0;
    if (doc["accepted"].get(accepted) != simdjson::SUCCESS || doc["rejected"].get(rejected) != simdjson::SUCCESS) {
      std::string_view error;
      if (doc["error"].get(error) == simdjson::SUCCESS) return Status::InvalidArgument(std::string(error));
      return Status::Internal("server reply lacks accepted/rejected counts");
    }
    totals_.accepted += static_cast<uint64_t>(accepted);
    totals_.rejected += static_cast<uint64_t>(rejected);
    simdjson::dom::array errors;
    if (doc["errors"].get(errors) == simdjson::SUCCESS) {
      for (auto e : errors) {
        uint64_t index = 0;
        std::string_view message;
        if (e["line"].get(index) != simdjson::SUCCESS || e["error"].get(message) != simdjson::SUCCESS) continue;
        uint64_t source_line = index >= 1 && index <= lines_.size() ? lines_[index - 1] : 0;
        if (args_.progress) std::fprintf(stderr, "\n");
        std::fprintf(stderr, "%s:%llu: %.*s\n", batch_file_.c_str(), static_cast<unsigned long long>(source_line),
                     static_cast<int>(message.size()), message.data());
      }
    }
    return Status::Ok();
  }

  HttpClient* client_;
  const IngestArgs& args_;
  const std::string run_id_;
  uint64_t batches_sent_ = 0;
  bool server_answered_ = false;
  std::string body_;
  std::vector<uint64_t> lines_;  // source line of each NDJSON line in body_
  std::string batch_file_;
  Totals totals_;
};

// Column name → type name of the stream's latest schema, for typing CSV cells.
Result<std::map<std::string, std::string>> FetchColumnTypes(HttpClient* client, const std::string& stream) {
  auto r = client->Request("GET", "/v1/streams/" + UrlEncode(stream));
  if (!r.ok()) return r.status();
  if (r->status != 200) return Status::NotFound(fmt::format("stream `{}`: HTTP {}: {}", stream, r->status, r->body));
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  simdjson::dom::array versions;
  if (parser.parse(r->body).get(doc) != simdjson::SUCCESS ||
      doc["definition"]["versions"].get(versions) != simdjson::SUCCESS || versions.size() == 0) {
    return Status::Internal("the server's stream description has no schema versions");
  }
  simdjson::dom::element latest = versions.at(versions.size() - 1);
  std::map<std::string, std::string> types;
  simdjson::dom::array columns;
  if (latest["columns"].get(columns) != simdjson::SUCCESS) return Status::Internal("schema version without columns");
  for (auto column : columns) {
    std::string_view name, type;
    if (column["name"].get(name) == simdjson::SUCCESS && column["type"].get(type) == simdjson::SUCCESS) {
      types.emplace(std::string(name), std::string(type));
    }
  }
  return types;
}

Status IngestNdjson(std::istream& in, const std::string& file, Uploader& uploader) {
  std::string line;
  uint64_t number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    LAGOA_RETURN_IF_ERROR(uploader.Add(file, number, line));
  }
  return Status::Ok();
}

Status IngestCsv(std::istream& in, const std::string& file, const std::map<std::string, std::string>& types,
                 Uploader& uploader) {
  CsvReader reader(in);
  std::vector<std::string> header, row;
  auto first = reader.Next(&header);
  if (!first.ok()) return first.status().WithContext(file);
  if (!*first) return Status::Ok();
  while (true) {
    uint64_t line = reader.line();
    auto more = reader.Next(&row);
    if (!more.ok()) return more.status().WithContext(file);
    if (!*more) break;
    if (row.size() != header.size()) {
      return Status::InvalidArgument(
          fmt::format("{}:{}: expected {} fields as in the header, found {}", file, line, header.size(), row.size()));
    }
    JsonWriter w;
    w.BeginObject();
    for (size_t i = 0; i < header.size(); ++i) {
      auto type = types.find(header[i]);
      w.Key(header[i]);
      CsvCellToJson(row[i], type == types.end() ? std::string("VARCHAR") : type->second, w);
    }
    w.EndObject();
    LAGOA_RETURN_IF_ERROR(uploader.Add(file, line, w.str()));
  }
  return Status::Ok();
}

}  // namespace

int Ingest(const std::string& url, const IngestArgs& args) {
  auto client = HttpClient::Make(url);
  if (!client.ok()) {
    std::fprintf(stderr, "error: %s\n", client.status().message().c_str());
    return 2;
  }
  IngestArgs effective = args;
  effective.progress = args.progress && isatty(STDERR_FILENO) != 0;
  Uploader uploader(client->get(), effective);
  std::optional<std::map<std::string, std::string>> csv_types;
  for (const std::string& file : args.files) {
    std::string format = args.format;
    if (format.empty()) format = file.size() > 4 && file.ends_with(".csv") ? "csv" : "ndjson";
    std::ifstream stream;
    std::istream* in = &std::cin;
    if (file != "-") {
      stream.open(file, std::ios::binary);
      if (!stream) {
        std::fprintf(stderr, "error: cannot open %s\n", file.c_str());
        return 2;
      }
      in = &stream;
    }
    Status s;
    if (format == "csv") {
      if (!csv_types) {
        auto types = FetchColumnTypes(client->get(), args.stream);
        if (!types.ok()) {
          std::fprintf(stderr, "error: %s\n", types.status().message().c_str());
          return 2;
        }
        csv_types = std::move(types).value();
      }
      s = IngestCsv(*in, file, *csv_types, uploader);
    } else {
      s = IngestNdjson(*in, file, uploader);
    }
    if (s.ok()) s = uploader.Flush();
    if (!s.ok()) {
      uploader.Progress(true);
      std::fprintf(stderr, "error: %s\n", s.message().c_str());
      return 2;
    }
  }
  uploader.Progress(true);
  const Totals& t = uploader.totals();
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t.start).count();
  std::printf("%llu events accepted, %llu rejected (see stream %s.dlq), %.1f MB in %.2f s\n",
              static_cast<unsigned long long>(t.accepted), static_cast<unsigned long long>(t.rejected),
              args.stream.c_str(), static_cast<double>(t.bytes) / 1e6, seconds);
  return t.rejected > 0 ? 1 : 0;
}

}  // namespace lagoa::cli

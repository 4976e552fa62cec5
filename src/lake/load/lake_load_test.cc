// The lake loader's data path end to end: JSON events → JsonRecordEncoder → binary records →
// RecordAppender → ParquetFileWriter → read back with DuckDB's read_parquet.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "duck/connection.h"
#include "lake/lake_test_util.h"
#include "lake/load/parquet_file_writer.h"
#include "lake/load/record_appender.h"
#include "schema/json_encoder.h"
#include "schema/schema.h"

namespace lagoa::lake {
namespace {

using testing_util::TempDir;

constexpr std::string_view kColumnsV1 =
    "b BOOLEAN, i INTEGER, bi BIGINT NOT NULL, d DOUBLE, dec DECIMAL(10,2), small DECIMAL(4,1), "
    "big DECIMAL(38,10), s VARCHAR, dt DATE, ts TIMESTAMP, tz TIMESTAMPTZ, j JSON, l BIGINT[], "
    "st STRUCT(a INTEGER, tags VARCHAR[], \"inner\" STRUCT(x DOUBLE))";

std::vector<schema::Schema> Versions(const std::vector<std::string_view>& column_lists) {
  std::vector<schema::Schema> versions;
  std::vector<schema::Field> fields;
  for (std::string_view columns : column_lists) {
    auto parsed = schema::ParseColumns(columns);
    EXPECT_TRUE(parsed.ok()) << parsed.status().ToString();
    fields.insert(fields.end(), parsed->begin(), parsed->end());
    versions.push_back({SchemaVersion(static_cast<uint32_t>(versions.size() + 1)), fields});
  }
  return versions;
}

// Encodes events with the encoder of a definition whose latest version is versions.back().
std::vector<Bytes> Encode(const std::vector<schema::Schema>& versions, const std::vector<std::string>& events) {
  auto definition = std::make_shared<schema::StreamDefinition>();
  definition->name = "events";
  definition->versions = versions;
  schema::JsonRecordEncoder encoder(definition, schema::UnknownFieldPolicy::kReject);
  std::vector<Bytes> records;
  for (const std::string& event : events) {
    std::string padded = event + std::string(schema::kJsonPaddingBytes, ' ');
    Bytes record;
    Status status = encoder.Encode(std::string_view(padded.data(), event.size()), record, nullptr);
    EXPECT_TRUE(status.ok()) << status.ToString() << " in " << event;
    records.push_back(std::move(record));
  }
  return records;
}

// LoadRecords over `records` with offsets first_offset.. and schema version `version`.
std::vector<LoadRecord> AsLoadRecords(const std::vector<Bytes>& records, int64_t first_offset, uint32_t version) {
  std::vector<LoadRecord> out;
  for (size_t k = 0; k < records.size(); ++k) {
    const int64_t offset = first_offset + static_cast<int64_t>(k);
    out.push_back({Offset(offset), SchemaVersion(version), 1'700'000'000'000'000 + offset,
                   1'714'564'800'000'000 + offset * 1000, records[k]});
  }
  return out;
}

std::unique_ptr<RecordAppender> MakeAppender(std::vector<schema::Schema> versions) {
  RecordAppenderOptions options;
  options.versions = std::move(versions);
  auto appender = RecordAppender::Make(std::move(options));
  EXPECT_TRUE(appender.ok()) << appender.status().ToString();
  return appender.ok() ? std::move(*appender) : nullptr;
}

std::vector<duck::TextRow> Query(const std::string& sql) {
  auto duckdb = duck::Connection::Make(duck::DatabaseOptions::Defaults());
  EXPECT_TRUE(duckdb.ok());
  auto rows = (*duckdb)->QueryText(sql);
  EXPECT_TRUE(rows.ok()) << rows.status().ToString() << "\n" << sql;
  return rows.ok() ? *rows : std::vector<duck::TextRow>{};
}

const std::vector<std::string> kEventsV1 = {
    R"({"b":true,"i":-2147483648,"bi":9223372036854775807,"d":1.5,"dec":"12345678.91","small":"-999.9",)"
    R"("big":"1234567890123456789012345678.0123456789","s":"héllo ✓ 🌊","dt":"2024-02-29",)"
    R"("ts":"2024-05-01T12:00:00.123456Z","tz":"2024-05-01T14:00:00.5+02:00","j":{"k":[1,"x",null]},)"
    R"("l":[5,null,7],"st":{"a":1,"tags":["x",null,"ü"],"inner":{"x":-0.25}}})",
    R"({"bi":-1})",
    R"({"b":false,"i":7,"bi":0,"d":-1e300,"dec":-0.01,"small":0,"big":"-0.0000000001","s":"","dt":"0001-01-01",)"
    R"("ts":"9999-12-31T23:59:59.999999Z","tz":"1970-01-01T00:00:00Z","j":"str","l":[],)"
    R"("st":{"a":null,"tags":[],"inner":null}})",
};
const std::vector<std::string> kEventsV2 = {
    R"({"bi":3,"extra":"new","s":"zzz"})",
    R"({"bi":4,"l":[null],"st":{},"extra":null})",
};

TEST(LakeLoad, EveryTypeRoundTripsThroughParquetAcrossSchemaVersions) {
  TempDir dir;
  const auto versions = Versions({kColumnsV1, "extra VARCHAR"});
  const std::vector<Bytes> v1 = Encode({versions[0]}, kEventsV1);
  const std::vector<Bytes> v2 = Encode(versions, kEventsV2);
  auto appender = MakeAppender(versions);
  ASSERT_NE(appender, nullptr);
  ASSERT_TRUE(appender->Append(PartitionId(3), AsLoadRecords(v1, 100, 1)).ok());
  Status appended = appender->Append(PartitionId(3), AsLoadRecords(v2, 103, 2));
  ASSERT_TRUE(appended.ok()) << appended.ToString();
  EXPECT_EQ(appender->staged_rows(), 5u);

  auto writer = ParquetFileWriter::Make({.dir = dir.path()});
  ASSERT_TRUE(writer.ok()) << writer.status().ToString();
  auto file = (*writer)->Write(*appender);
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  EXPECT_EQ(file->num_records, 5u);
  EXPECT_EQ(file->min_offset, Offset(100));
  EXPECT_EQ(file->max_offset, Offset(104));
  EXPECT_EQ(file->size_bytes, std::filesystem::file_size(file->path));
  EXPECT_TRUE(file->file_name.starts_with("part-") && file->file_name.ends_with(".zstd.parquet")) << file->file_name;

  const std::string source = "read_parquet(" + duck::SqlStringLiteral(file->path.string()) + ")";
  auto rows = Query(
      "SELECT b::VARCHAR, i::VARCHAR, bi::VARCHAR, d::VARCHAR, dec::VARCHAR, small::VARCHAR, big::VARCHAR, s, "
      "dt::VARCHAR, epoch_us(ts)::VARCHAR, epoch_us(tz)::VARCHAR, j, to_json(l)::VARCHAR, to_json(st)::VARCHAR, "
      "extra, _offset::VARCHAR, _partition::VARCHAR, epoch_us(_ingested_at)::VARCHAR, "
      "epoch_us(_event_time)::VARCHAR FROM " +
      source + " ORDER BY _offset");
  using R = duck::TextRow;
  const auto n = std::nullopt;
  const std::vector<duck::TextRow> expected = {
      R{"true", "-2147483648", "9223372036854775807", "1.5", "12345678.91", "-999.9",
        "1234567890123456789012345678.0123456789", "héllo ✓ 🌊", "2024-02-29", "1714564800123456", "1714564800500000",
        R"({"k":[1,"x",null]})", "[5,null,7]", R"({"a":1,"tags":["x",null,"ü"],"inner":{"x":-0.25}})", n, "100", "3",
        "1714564800100000", "1700000000000100"},
      R{n, n, "-1", n, n, n, n, n, n, n, n, n, n, n, n, "101", "3", "1714564800101000", "1700000000000101"},
      R{"false", "7", "0", "-1e+300", "-0.01", "0.0", "-0.0000000001", "", "0001-01-01", "253402300799999999", "0",
        R"("str")", "[]", R"({"a":null,"tags":[],"inner":null})", n, "102", "3", "1714564800102000",
        "1700000000000102"},
      R{n, n, "3", n, n, n, n, "zzz", n, n, n, n, n, n, "new", "103", "3", "1714564800103000", "1700000000000103"},
      R{n, n, "4", n, n, n, n, n, n, n, n, n, "[null]", R"({"a":null,"tags":null,"inner":null})", n, "104", "3",
        "1714564800104000", "1700000000000104"},
  };
  ASSERT_EQ(rows.size(), expected.size());
  for (size_t r = 0; r < rows.size(); ++r) {
    for (size_t c = 0; c < expected[r].size(); ++c) {
      EXPECT_EQ(rows[r][c], expected[r][c]) << "row " << r << " column " << c;
    }
  }

  auto types =
      Query("SELECT string_agg(column_name || ' ' || column_type, ', ') FROM (DESCRIBE SELECT * FROM " + source + ")");
  ASSERT_EQ(types.size(), 1u);
  EXPECT_EQ(types[0][0],
            "b BOOLEAN, i INTEGER, bi BIGINT, d DOUBLE, dec DECIMAL(10,2), small DECIMAL(4,1), big DECIMAL(38,10), "
            "s VARCHAR, dt DATE, ts TIMESTAMP WITH TIME ZONE, tz TIMESTAMP WITH TIME ZONE, j VARCHAR, l BIGINT[], "
            "st STRUCT(a INTEGER, tags VARCHAR[], \"inner\" STRUCT(x DOUBLE)), extra VARCHAR, _offset BIGINT, "
            "_partition INTEGER, _ingested_at TIMESTAMP WITH TIME ZONE, _event_time TIMESTAMP WITH TIME ZONE");

  EXPECT_EQ(file->stats_json,
            R"({"numRecords":5,"minValues":{"i":-2147483648,"bi":-1,"d":-1e+300,"dec":-0.01,"small":-999.9,)"
            R"("big":-0.0000000001,"s":"","dt":"0001-01-01","ts":"2024-05-01T12:00:00.123456Z",)"
            R"("tz":"1970-01-01T00:00:00.000000Z","extra":"new","_offset":100,"_partition":3,)"
            R"("_ingested_at":"2024-05-01T12:00:00.100000Z","_event_time":"2023-11-14T22:13:20.000100Z"},)"
            R"("maxValues":{"i":7,"bi":9223372036854775807,"d":1.5,"dec":12345678.91,"small":0.0,)"
            R"("big":1234567890123456789012345678.0123456789,"s":"zzz","dt":"2024-02-29",)"
            R"("ts":"9999-12-31T23:59:59.999999Z","tz":"2024-05-01T12:00:00.500000Z","extra":"new",)"
            R"("_offset":104,"_partition":3,"_ingested_at":"2024-05-01T12:00:00.104000Z",)"
            R"("_event_time":"2023-11-14T22:13:20.000104Z"},)"
            R"("nullCount":{"b":3,"i":3,"bi":0,"d":3,"dec":3,"small":3,"big":3,"s":2,"dt":3,"ts":3,"tz":3,"j":3,)"
            R"("l":2,"st":{"a":4,"tags":3,"inner":{"x":4}},"extra":4,"_offset":0,"_partition":0,)"
            R"("_ingested_at":0,"_event_time":0}})");

  // The next file starts empty and gets a new name.
  ASSERT_TRUE(appender->Clear().ok());
  EXPECT_EQ(appender->staged_rows(), 0u);
  EXPECT_EQ((*writer)->Write(*appender).status().code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(appender->Append(PartitionId(3), AsLoadRecords(v2, 105, 2)).ok());
  auto second = (*writer)->Write(*appender);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_NE(second->file_name, file->file_name);
  EXPECT_EQ(second->num_records, 2u);
  EXPECT_EQ(second->min_offset, Offset(105));
}

TEST(LakeLoad, ManyChunksOfNestedValuesKeepEveryRow) {
  TempDir dir;
  const auto versions = Versions({"id BIGINT, l BIGINT[], st STRUCT(t VARCHAR[]), m DECIMAL(9,3)"});
  std::vector<std::string> events;
  events.reserve(5000);
  for (int k = 0; k < 5000; ++k) {
    events.push_back(k % 7 == 0 ? fmt::format(R"({{"id":{}}})", k)
                                : fmt::format(R"({{"id":{},"l":[{},null,{}],"st":{{"t":["v{}"]}},"m":"{}.125"}})", k, k,
                                              2 * k, k, k));
  }
  const std::vector<Bytes> records = Encode(versions, events);
  auto appender = MakeAppender(versions);
  ASSERT_NE(appender, nullptr);
  const auto load = AsLoadRecords(records, 0, 1);
  for (size_t first = 0; first < load.size(); first += 999) {
    const size_t count = std::min<size_t>(999, load.size() - first);
    ASSERT_TRUE(appender->Append(PartitionId(0), std::span(load).subspan(first, count)).ok());
  }
  auto writer = ParquetFileWriter::Make({.dir = dir.path()});
  ASSERT_TRUE(writer.ok());
  auto file = (*writer)->Write(*appender);
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  auto rows = Query(
      fmt::format("SELECT count(*)::VARCHAR, sum(list_sum(l))::VARCHAR, sum(len(l))::VARCHAR, count(l)::VARCHAR, "
                  "bool_and(id = _offset AND (l IS NULL OR l[3] = 2 * id) AND (st IS NULL OR st.t[1] = 'v' || id) AND "
                  "(m IS NULL OR m = id + 0.125))::VARCHAR, typeof(any_value(m)) "
                  "FROM read_parquet({})",
                  duck::SqlStringLiteral(file->path.string())));
  ASSERT_EQ(rows.size(), 1u);
  int64_t sum = 0, with_list = 0;
  for (int k = 0; k < 5000; ++k) {
    if (k % 7 == 0) continue;
    sum += int64_t{3} * k;
    ++with_list;
  }
  EXPECT_EQ(rows[0], (duck::TextRow{"5000", std::to_string(sum), std::to_string(3 * with_list),
                                    std::to_string(with_list), "true", "DECIMAL(9,3)"}));
}

// Statistics come from every chunk (2048 rows each), long strings (outside DuckDB's 12-byte
// inline size) included; with several DuckDB threads every row still lands in the file once, and
// keep_row_order writes them in append order.
TEST(LakeLoad, StatsCoverEveryChunkAndRowOrderIsKeptOnRequest) {
  TempDir dir;
  const auto versions = Versions({"id BIGINT, s VARCHAR, d DATE"});
  std::vector<std::string> events;
  for (int k = 0; k < 7000; ++k) {
    // Short and long strings; the smallest and largest sit in different chunks.
    const std::string s = k % 3 == 0 ? fmt::format("s{}", k) : fmt::format("a long string number {:05}", 7000 - k);
    events.push_back(k % 11 == 0 ? fmt::format(R"({{"id":{}}})", k)
                                 : fmt::format(R"({{"id":{},"s":"{}","d":"2024-01-{:02}"}})", k, s, 1 + k % 28));
  }
  const std::vector<Bytes> records = Encode(versions, events);
  for (const bool ordered : {false, true}) {
    RecordAppenderOptions options;
    options.versions = versions;
    options.duckdb.threads = 2;
    auto appender = RecordAppender::Make(std::move(options));
    ASSERT_TRUE(appender.ok()) << appender.status().ToString();
    ASSERT_TRUE((*appender)->Append(PartitionId(1), AsLoadRecords(records, 1000, 1)).ok());
    auto writer = ParquetFileWriter::Make({.dir = dir.path(), .keep_row_order = ordered});
    ASSERT_TRUE(writer.ok());
    auto file = (*writer)->Write(**appender);
    ASSERT_TRUE(file.ok()) << file.status().ToString();
    EXPECT_EQ(file->min_offset, Offset(1000));
    EXPECT_EQ(file->max_offset, Offset(7999));
    // The same statistics as DuckDB computes over the file it wrote.
    const std::string source =
        "read_parquet(" + duck::SqlStringLiteral(file->path.string()) + ", file_row_number = true)";
    auto rows = Query(
        "SELECT count(*)::VARCHAR, count(DISTINCT _offset)::VARCHAR, min(s), max(s), min(d)::VARCHAR, "
        "max(d)::VARCHAR, (count(*) - count(s))::VARCHAR, max(id)::VARCHAR, "
        "count(*) FILTER (WHERE _offset - 1000 <> file_row_number)::VARCHAR FROM " +
        source);
    ASSERT_EQ(rows.size(), 1u);
    const duck::TextRow& r = rows[0];
    EXPECT_EQ(r[0], "7000");
    EXPECT_EQ(r[1], "7000");
    const std::string expected_prefix =
        fmt::format(R"({{"numRecords":7000,"minValues":{{"id":0,"s":"{}","d":"{}","_offset":1000,)", *r[2], *r[4]);
    EXPECT_TRUE(file->stats_json.starts_with(expected_prefix)) << file->stats_json;
    EXPECT_NE(file->stats_json.find(
                  fmt::format(R"("maxValues":{{"id":{},"s":"{}","d":"{}","_offset":7999,)", *r[7], *r[3], *r[5])),
              std::string::npos)
        << file->stats_json;
    EXPECT_NE(file->stats_json.find(fmt::format(R"("nullCount":{{"id":0,"s":{},"d":{},)", *r[6], *r[6])),
              std::string::npos)
        << file->stats_json;
    if (ordered) {
      EXPECT_EQ(r[8], "0") << "rows out of append order";
    }
  }
}

// The staging scan gathers each chunk's statistics once, on whichever thread decodes it. A query
// between two Appends that fill the same 2048-record chunk must not leave the file's statistics
// short of the rows appended after it; a scan that stops early (LIMIT) leaves chunks for
// StagedStatsJson to decode itself.
TEST(LakeLoad, StatsCoverRowsAppendedAfterAQueryAndAfterAnEarlyStop) {
  TempDir dir;
  const auto versions = Versions({"id BIGINT, s VARCHAR"});
  std::vector<std::string> events;
  events.reserve(5000);
  for (int k = 0; k < 5000; ++k) events.push_back(fmt::format(R"({{"id":{},"s":"value {:05}"}})", k, k));
  const std::vector<Bytes> records = Encode(versions, events);
  const auto load = AsLoadRecords(records, 0, 1);
  auto appender = MakeAppender(versions);
  ASSERT_NE(appender, nullptr);
  ASSERT_TRUE(appender->Append(PartitionId(0), std::span(load).subspan(0, 3000)).ok());
  auto counted = appender->QueryText("SELECT count(*)::VARCHAR, max(id)::VARCHAR FROM lagoa_load");
  ASSERT_TRUE(counted.ok()) << counted.status().ToString();
  EXPECT_EQ((*counted)[0], (duck::TextRow{"3000", "2999"}));
  ASSERT_TRUE(appender->Append(PartitionId(0), std::span(load).subspan(3000)).ok());
  auto first = appender->QueryText("SELECT id::VARCHAR FROM lagoa_load LIMIT 1");
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  auto writer = ParquetFileWriter::Make({.dir = dir.path()});
  ASSERT_TRUE(writer.ok());
  auto file = (*writer)->Write(*appender);
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  EXPECT_EQ(file->stats_json,
            R"({"numRecords":5000,"minValues":{"id":0,"s":"value 00000","_offset":0,"_partition":0,)"
            R"("_ingested_at":"2024-05-01T12:00:00.000000Z","_event_time":"2023-11-14T22:13:20.000000Z"},)"
            R"("maxValues":{"id":4999,"s":"value 04999","_offset":4999,"_partition":0,)"
            R"("_ingested_at":"2024-05-01T12:00:04.999000Z","_event_time":"2023-11-14T22:13:20.004999Z"},)"
            R"("nullCount":{"id":0,"s":0,"_offset":0,"_partition":0,"_ingested_at":0,"_event_time":0}})");
  // Statistics without any query: every chunk decoded by StagedStatsJson.
  ASSERT_TRUE(appender->Clear().ok());
  ASSERT_TRUE(appender->Append(PartitionId(0), load).ok());
  auto stats = appender->StagedStatsJson();
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_EQ(*stats, file->stats_json);
}

TEST(LakeLoad, CorruptRecordIsAnErrorNamingItsOffset) {
  const auto versions = Versions({"b BOOLEAN, s VARCHAR"});
  const std::vector<Bytes> good = Encode(versions, {R"({"b":true,"s":"ok"})", R"({"b":false})"});
  auto appender = MakeAppender(versions);
  ASSERT_NE(appender, nullptr);
  auto expect_corrupt = [&](Bytes bad, uint32_t version, std::string_view what) {
    ASSERT_TRUE(appender->Clear().ok());
    std::vector<Bytes> records = good;
    records.push_back(std::move(bad));
    records.push_back(good[0]);
    Status status = appender->Append(PartitionId(2), AsLoadRecords(records, 15, 1));
    if (version != 1) {
      auto load = AsLoadRecords(records, 15, 1);
      load[2].schema_version = SchemaVersion(version);
      ASSERT_TRUE(appender->Clear().ok());
      status = appender->Append(PartitionId(2), load);
    }
    EXPECT_EQ(status.code(), StatusCode::kCorruption) << status.ToString();
    EXPECT_NE(status.message().find("offset 17 of partition 2"), std::string::npos) << status.message();
    EXPECT_NE(status.message().find(what), std::string::npos) << status.message();
    EXPECT_EQ(appender->staged_rows(), 2u);  // the records before the bad one
  };
  Bytes boolean = good[0];
  boolean[2] = std::byte{7};  // column count, presence, then b
  expect_corrupt(boolean, 1, "column \"b\" (BOOLEAN): BOOLEAN byte is neither 0 nor 1");
  Bytes truncated = good[0];
  truncated.pop_back();
  expect_corrupt(truncated, 1, "column \"s\" (VARCHAR): length exceeds the record");
  Bytes trailing = good[1];
  trailing.push_back(std::byte{0});
  expect_corrupt(trailing, 1, "record: bytes after the last column");
  Bytes too_many = good[1];
  too_many[0] = std::byte{3};
  expect_corrupt(too_many, 1, "more columns than its schema version");
  Bytes not_utf8 = good[0];
  not_utf8[not_utf8.size() - 1] = std::byte{0xFF};
  expect_corrupt(not_utf8, 1, "not valid UTF-8");
  expect_corrupt(good[0], 9, "schema version 9 is unknown");

  // The staged rows are intact and still load.
  TempDir dir;
  auto writer = ParquetFileWriter::Make({.dir = dir.path()});
  ASSERT_TRUE(writer.ok());
  auto file = (*writer)->Write(*appender);
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  EXPECT_EQ(file->num_records, 2u);
  EXPECT_EQ(file->max_offset, Offset(16));
}

TEST(LakeLoad, OptionsAreValidated) {
  RecordAppenderOptions options;
  EXPECT_EQ(RecordAppender::Make(options).status().code(), StatusCode::kInvalidArgument);
  options.versions = Versions({"_offset BIGINT"});
  auto collision = RecordAppender::Make(options);
  EXPECT_NE(collision.status().message().find("metadata column"), std::string::npos) << collision.status().message();
  options.versions = Versions({"a BIGINT", "b BIGINT"});
  options.versions[1].fields[0].type = schema::Type::Integer();
  EXPECT_EQ(RecordAppender::Make(options).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParquetFileWriter::Make({.dir = "/nonexistent/lagoa"}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParquetFileWriter::Make({.dir = "/tmp", .compression = "lz4"}).status().code(),
            StatusCode::kInvalidArgument);
}

// Throughput, not asserted: run with --gtest_also_run_disabled_tests (a Release build says more).
TEST(LakeLoad, DISABLED_ThroughputOfAMillionRows) {
  TempDir dir;
  const auto versions =
      Versions({"id BIGINT, user_id INTEGER, name VARCHAR, url VARCHAR, price DOUBLE, score DOUBLE, qty INTEGER, "
                "created TIMESTAMPTZ, updated TIMESTAMP, country VARCHAR"});
  std::vector<std::string> events;
  events.reserve(1000);
  for (int k = 0; k < 1000; ++k) {
    events.push_back(fmt::format(
        R"({{"id":{},"user_id":{},"name":"user number {}","url":"https://example.com/products/{}?ref=home",)"
        R"("price":{}.25,"score":{}.5,"qty":{},"created":"2024-05-01T12:{:02}:00Z","updated":"2024-05-02T08:00:{:02}Z",)"
        R"("country":"{}"}})",
        k, k * 7, k, k * 13, k, k % 100, k % 10, k % 60, k % 60, k % 2 == 0 ? "PT" : "BR"));
  }
  const std::vector<Bytes> records = Encode(versions, events);
  auto appender = MakeAppender(versions);
  ASSERT_NE(appender, nullptr);
  constexpr int64_t kRows = 1'000'000;
  std::vector<LoadRecord> batch;
  const auto start = std::chrono::steady_clock::now();
  for (int64_t offset = 0; offset < kRows; ++offset) {
    batch.push_back({Offset(offset), SchemaVersion(1), offset, offset, records[static_cast<size_t>(offset) % 1000]});
    if (batch.size() == 10'000) {
      ASSERT_TRUE(appender->Append(PartitionId(0), batch).ok());
      batch.clear();
    }
  }
  const auto appended = std::chrono::steady_clock::now();
  auto writer = ParquetFileWriter::Make({.dir = dir.path()});
  ASSERT_TRUE(writer.ok());
  auto file = (*writer)->Write(*appender);
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  const auto written = std::chrono::steady_clock::now();
  auto seconds = [](auto a, auto b) { return std::chrono::duration<double>(b - a).count(); };
  std::printf("append: %.0f rows/s (%.2f s); parquet + stats: %.0f rows/s (%.2f s); total %.0f rows/s; %.1f MB\n",
              kRows / seconds(start, appended), seconds(start, appended), kRows / seconds(appended, written),
              seconds(appended, written), kRows / seconds(start, written), file->size_bytes / 1e6);
  EXPECT_EQ(file->num_records, static_cast<uint64_t>(kRows));
}

}  // namespace
}  // namespace lagoa::lake

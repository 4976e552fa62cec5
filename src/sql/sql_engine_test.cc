// SqlEngine with real components: a log, a catalog and a stream registry in a temporary
// directory, the real lake loader, and DuckDB. The live-tail tests check that a stream's rows are
// every appended event exactly once, whether it sits in the log, in the lake, or in both.
#include "sql/sql_engine.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <atomic>
#include <charconv>
#include <future>
#include <thread>

#include "base/metrics.h"
#include "base/parse_number.h"
#include "ingest/stream_registry.h"
#include "lake/attached_tables.h"
#include "lake/lake_test_util.h"
#include "lake/load/stream_loader.h"
#include "lake/store/local_object_store.h"
#include "log/log.h"
#include "schema/catalog.h"
#include "schema/json_encoder.h"
#include "sql/sql_test_util.h"
#include "sql/tail_cache_internal.h"

namespace lagoa::sql {
namespace {

using lake::testing_util::TempDir;

class SqlEngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    log::LogOptions log_options;
    log_options.dir = dir_.path() / "log";
    log_options.durability = log::Durability::kNone;
    log_options.free_space_min_bytes = 0;
    log_options.free_space_min_percent = 0;
    auto opened = log::Log::Open(log_options);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    log_ = std::move(*opened);
    ASSERT_TRUE(log_->Start().ok());
    auto catalog = schema::Catalog::Open(dir_.path() / "catalog");
    ASSERT_TRUE(catalog.ok()) << catalog.status().ToString();
    catalog_ = std::move(*catalog);
    auto registry = ingest::StreamRegistry::Open(log_.get(), catalog_.get(), {});
    ASSERT_TRUE(registry.ok()) << registry.status().ToString();
    registry_ = std::move(*registry);
    std::filesystem::create_directories(dir_.path() / "lake");
    std::filesystem::create_directories(dir_.path() / "tmp");
    auto attached = lake::AttachedTables::Open(dir_.path() / "attached_tables.json");
    ASSERT_TRUE(attached.ok()) << attached.status().ToString();
    attached_ = std::move(*attached);
    MakeEngine(SqlEngineOptions::Defaults().tail_cache_bytes);
  }
  void MakeEngine(size_t tail_cache_bytes) {
    session_.reset();
    engine_.reset();
    SqlEngineOptions options;
    options.lake_dir = dir_.path() / "lake";
    options.temp_dir = dir_.path() / "tmp";
    options.statement_timeout_ms = std::chrono::milliseconds(2000);
    options.tail_cache_bytes = tail_cache_bytes;
    auto engine = SqlEngine::Make(options, log_.get(), registry_.get(), attached_.get());
    ASSERT_TRUE(engine.ok()) << engine.status().ToString();
    engine_ = std::move(*engine);
    auto session = engine_->OpenSession();
    ASSERT_TRUE(session.ok()) << session.status().ToString();
    session_ = std::move(*session);
  }
  void TearDown() override {
    session_.reset();
    engine_.reset();
    if (log_ != nullptr) log_->Stop();
  }

  ingest::StreamHandle CreateStream(const std::string& name, std::string_view columns, int32_t partitions = 1) {
    auto definition = schema::StreamDefinitionFromJson(
        name, fmt::format(R"({{"schema": "{}", "partitions": {}}})", columns, partitions));
    EXPECT_TRUE(definition.ok()) << definition.status().ToString();
    definition->created_us = 1;
    auto handle = registry_->Create(*definition);
    EXPECT_TRUE(handle.ok()) << handle.status().ToString();
    return *handle;
  }

  // Appends the events with ids [first, first + count) as {"id": id, "name": "name number <id>"}
  // (plus "<extra_column>": id when given).
  void Append(const ingest::StreamHandle& stream, int64_t first, int64_t count, int32_t partition = 0,
              std::string_view extra_column = "") {
    schema::JsonRecordEncoder encoder(stream.definition, schema::UnknownFieldPolicy::kReject);
    log::BatchBuilder batch(stream.definition->latest().version);
    for (int64_t id = first; id < first + count; ++id) {
      std::string json = fmt::format(R"({{"id":{},"name":"name number {}")", id, id);
      json += extra_column.empty() ? "}" : fmt::format(R"(,"{}":{}}})", extra_column, id);
      const size_t size = json.size();
      json.append(schema::kJsonPaddingBytes, ' ');
      Bytes record;
      ASSERT_TRUE(encoder.Encode(std::string_view(json.data(), size), record, nullptr).ok());
      batch.Add(1'700'000'000'000'000 + id, record);
    }
    std::promise<Result<log::AppendResult>> done;
    stream.log->partition(PartitionId(partition))->Append(std::move(batch), [&done](Result<log::AppendResult> r) {
      done.set_value(std::move(r));
    });
    auto result = done.get_future().get();
    ASSERT_TRUE(result.ok()) << result.status().ToString();
  }

  // Loads at most `rows_max` more rows of the partition into the stream's lake table.
  void Load(const ingest::StreamHandle& stream, int64_t rows_max, int32_t partition = 0) {
    auto store = lake::LocalObjectStore::Make({.root = dir_.path() / "lake", .create_if_missing = true});
    ASSERT_TRUE(store.ok());
    lake::StreamLoaderOptions options = lake::StreamLoaderOptions::Defaults();
    options.partition = stream.log->partition(PartitionId(partition));
    options.partition_id = PartitionId(partition);
    options.stream = *stream.definition;
    options.store = store->get();
    options.table_prefix = stream.definition->name + "/";
    options.scratch_dir = dir_.path() / "tmp";
    options.rows_max = rows_max;
    auto loader = lake::StreamLoader::Make(options);
    ASSERT_TRUE(loader.ok()) << loader.status().ToString();
    auto step = (*loader)->LoadOnce(std::chrono::milliseconds(0));
    ASSERT_TRUE(step.ok()) << step.status().ToString();
  }

  // Runs `sql` and returns its rows as DuckDB's text, one line per row, cells joined by '|'.
  Result<std::vector<std::string>> Query(std::string_view sql, std::vector<Param> params = {}) {
    LAGOA_ASSIGN_OR_RETURN(auto statement, session_->Prepare(sql));
    LAGOA_ASSIGN_OR_RETURN(auto cursor, statement->Execute(params));
    std::vector<std::string> rows;
    while (true) {
      LAGOA_ASSIGN_OR_RETURN(auto chunk, cursor->Next());
      if (chunk == nullptr) break;
      testing_util::AppendRowLines(*chunk, &rows);
    }
    return rows;
  }

  std::string QueryOne(std::string_view sql) {
    auto rows = Query(sql);
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    if (!rows.ok() || rows->size() != 1) return "<not one row>";
    return (*rows)[0];
  }

  TempDir dir_;
  std::unique_ptr<log::Log> log_;
  std::unique_ptr<schema::Catalog> catalog_;
  std::unique_ptr<ingest::StreamRegistry> registry_;
  std::unique_ptr<lake::AttachedTables> attached_;
  std::unique_ptr<SqlEngine> engine_;
  std::unique_ptr<Session> session_;
};

// What every live-tail check asks: count, distinct ids, min, max and a checksum of the ids.
constexpr std::string_view kSummary = "SELECT count(*), count(DISTINCT id), min(id), max(id), sum(id) FROM clicks";

std::string Summary(int64_t count) {
  return fmt::format("{}|{}|0|{}|{}", count, count, count - 1, count * (count - 1) / 2);
}

TEST_F(SqlEngineTest, PlainDuckDbSql) {
  EXPECT_EQ(QueryOne("SELECT 1 + 2, 'x' || 'y'"), "3|xy");
  auto rows = Query("SELECT * FROM range(3) t(i) ORDER BY i DESC");
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ(*rows, (std::vector<std::string>{"2", "1", "0"}));
}

// The SQL share of the memory budget on /metrics is what DuckDB's buffer manager holds, read when
// /metrics is rendered.
TEST_F(SqlEngineTest, MetricsShowWhatDuckDbHolds) {
  auto used = [] {
    const std::string text = MetricsRegistry::Global().RenderPrometheusText();
    const std::string line = "lagoa_memory_used_bytes{share=\"sql\"} ";
    const size_t at = text.find(line);
    if (at == std::string::npos) return int64_t{-1};
    return ParseInteger<int64_t>(text.substr(at + line.size(), text.find('\n', at) - at - line.size())).value_or(-1);
  };
  const int64_t before = used();
  ASSERT_GE(before, 0);
  ASSERT_TRUE(Query("CREATE TABLE big AS SELECT i, i::VARCHAR AS s FROM range(2000000) r(i)").ok());
  EXPECT_GT(used(), before + (8 << 20));
  ASSERT_TRUE(Query("DROP TABLE big").ok());
}

TEST_F(SqlEngineTest, StreamOnlyInTheLog) {
  auto clicks = CreateStream("clicks", "id BIGINT NOT NULL, name VARCHAR");
  EXPECT_EQ(QueryOne(kSummary), "0|0|NULL|NULL|NULL");
  Append(clicks, 0, 1000);
  EXPECT_EQ(QueryOne(kSummary), Summary(1000));
  EXPECT_EQ(QueryOne("SELECT name, _offset, _partition FROM clicks WHERE id = 7"), "name number 7|7|0");
}

// The tail decodes only the columns a query uses (projection pushdown): each column alone, the
// metadata columns alone, none (count), and all of them must read the same values.
TEST_F(SqlEngineTest, TailReadsTheProjectedColumnsOnly) {
  auto clicks = CreateStream("clicks", "id BIGINT NOT NULL, name VARCHAR");
  Append(clicks, 0, 3000);
  EXPECT_EQ(QueryOne("SELECT count(*) FROM clicks"), "3000");
  EXPECT_EQ(QueryOne("SELECT sum(id) FROM clicks"), "4498500");
  EXPECT_EQ(QueryOne("SELECT count(DISTINCT name), max(name) FROM clicks"), "3000|name number 999");
  EXPECT_EQ(QueryOne("SELECT max(_offset), min(_partition), count(_ingested_at) FROM clicks"), "2999|0|3000");
  EXPECT_EQ(QueryOne("SELECT name FROM clicks WHERE _offset = 1234"), "name number 1234");
  EXPECT_EQ(QueryOne("SELECT _offset, id, name FROM clicks WHERE id = 2999"), "2999|2999|name number 2999");
  EXPECT_EQ(QueryOne("SELECT count(*) FROM (SELECT * FROM clicks) WHERE name = 'name number ' || id"), "3000");
}

// The ids in a tail slice, in order: the offsets below cached_from (not cached) as -1 each, then
// the `id` column (column 0) of the blocks' rows in [cached_from, end).
std::vector<int64_t> SliceIds(const internal::TailSlice& slice, Offset from, Offset end) {
  std::vector<int64_t> ids(static_cast<size_t>(slice.cached_from.value() - from.value()), -1);
  for (const auto& block : slice.blocks) {
    const auto* id =
        static_cast<const int64_t*>(duckdb_vector_get_data(duckdb_data_chunk_get_vector(block->chunk(), 0)));
    for (idx_t row = 0; row < block->rows(); ++row) {
      const int64_t offset = block->offsets()[row];
      if (offset >= slice.cached_from.value() && offset < end.value()) ids.push_back(id[row]);
    }
  }
  return ids;
}

std::vector<int64_t> Iota(int64_t first, int64_t count) {
  std::vector<int64_t> ids(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) ids[static_cast<size_t>(i)] = first + i;
  return ids;
}

TEST_F(SqlEngineTest, TailCacheDecodesOnlyWhatArrivedSinceTheLastRead) {
  auto clicks = CreateStream("clicks", "id BIGINT NOT NULL, name VARCHAR");
  Append(clicks, 0, 5000);
  internal::TailCache cache(64u << 20);
  auto first = cache.Read(clicks, 0, Offset(0), Offset(5000));
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->cached_from, Offset(0));
  ASSERT_EQ(first->blocks.size(), 3u);  // 2,048 + 2,048 + 904 rows
  EXPECT_EQ(SliceIds(*first, Offset(0), Offset(5000)), Iota(0, 5000));

  Append(clicks, 5000, 3000);
  auto second = cache.Read(clicks, 0, Offset(0), Offset(8000));
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  ASSERT_EQ(second->blocks.size(), 4u);
  EXPECT_EQ(second->blocks[0].get(), first->blocks[0].get());  // full blocks are kept, not decoded again
  EXPECT_EQ(second->blocks[1].get(), first->blocks[1].get());
  EXPECT_EQ(SliceIds(*second, Offset(0), Offset(8000)), Iota(0, 8000));
  // A statement planned before the last append reads up to its own end.
  auto earlier = cache.Read(clicks, 0, Offset(0), Offset(6000));
  ASSERT_TRUE(earlier.ok());
  EXPECT_EQ(SliceIds(*earlier, Offset(0), Offset(6000)), Iota(0, 6000));

  // The lake loaded offsets below 4,100: blocks wholly below are dropped.
  const size_t bytes_before = cache.bytes();
  auto third = cache.Read(clicks, 0, Offset(4100), Offset(8000));
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(third->cached_from, Offset(4100));
  EXPECT_EQ(third->blocks.front()->first(), Offset(4096));
  EXPECT_EQ(SliceIds(*third, Offset(4100), Offset(8000)), Iota(4100, 3900));
  EXPECT_LT(cache.bytes(), bytes_before);
}

TEST_F(SqlEngineTest, TailCacheKeepsTheNewestWithinItsBudget) {
  auto clicks = CreateStream("clicks", "id BIGINT NOT NULL, name VARCHAR");
  Append(clicks, 0, 20000);
  // A block counts 6 columns × 16 bytes × 2,048 rows plus its payloads: this budget holds ~3.
  constexpr size_t kBudget = 700'000;
  internal::TailCache cache(kBudget);
  auto slice = cache.Read(clicks, 0, Offset(0), Offset(20000));
  ASSERT_TRUE(slice.ok()) << slice.status().ToString();
  EXPECT_GT(slice->cached_from, Offset(0));
  EXPECT_LE(cache.bytes(), kBudget);
  EXPECT_EQ(SliceIds(*slice, Offset(0), Offset(20000)).size(), 20000u);
  const std::vector<int64_t> ids = SliceIds(*slice, Offset(0), Offset(20000));
  EXPECT_EQ(std::vector<int64_t>(ids.begin() + slice->cached_from.value(), ids.end()),
            Iota(slice->cached_from.value(), 20000 - slice->cached_from.value()));

  internal::TailCache off(0);
  auto none = off.Read(clicks, 0, Offset(0), Offset(20000));
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->cached_from, Offset(20000));
  EXPECT_TRUE(none->blocks.empty());
}

// Statements read the same rows whether the tail comes from the cache, from the log, or partly
// from each (a budget far below the tail), across partitions, appends and loads.
TEST_F(SqlEngineTest, EveryTailCacheBudgetReadsEveryEventOnce) {
  auto clicks = CreateStream("clicks", "id BIGINT NOT NULL, name VARCHAR", 2);
  Append(clicks, 0, 6000, 0);
  Append(clicks, 6000, 4000, 1);
  for (size_t budget : {size_t{0}, size_t{500'000}, SqlEngineOptions::Defaults().tail_cache_bytes}) {
    SCOPED_TRACE(fmt::format("tail cache of {} bytes", budget));
    MakeEngine(budget);
    EXPECT_EQ(QueryOne(kSummary), Summary(10000));
    EXPECT_EQ(QueryOne("SELECT count(DISTINCT name), max(name) FROM clicks"), "10000|name number 9999");
    EXPECT_EQ(QueryOne("SELECT name, _offset, _partition FROM clicks WHERE id = 7000"), "name number 7000|1000|1");
    EXPECT_EQ(QueryOne("SELECT count(*) FROM clicks WHERE name = 'name number ' || id"), "10000");
  }
  Load(clicks, 2500, 0);
  Append(clicks, 10000, 1000, 1);  // extends partition 1's partial block (its rows are copied)
  EXPECT_EQ(QueryOne(kSummary), Summary(11000));
  EXPECT_EQ(QueryOne("SELECT count(*) FROM clicks WHERE name = 'name number ' || id"), "11000");
  EXPECT_EQ(QueryOne("SELECT count(*), min(_offset) FROM clicks WHERE _partition = 0 AND _offset >= 2500"),
            "3500|2500");
  Load(clicks, 100000, 1);
  EXPECT_EQ(QueryOne(kSummary), Summary(11000));
}

// Without the cache, every chunk of the tail is decoded from the log; its strings (long ones,
// in lists, in structs, JSON, NULLs at each level) are copied into the chunk's own vectors, and
// the payloads they came from are freed before the next chunk. Statements that keep rows (a sort,
// a join's build side, DISTINCT) and a result streamed to the client read every string intact.
TEST_F(SqlEngineTest, UncachedTailStringsLiveAsLongAsTheirChunks) {
  MakeEngine(0);
  auto events = CreateStream("events",
                             "id BIGINT NOT NULL, name VARCHAR, tags VARCHAR[], "
                             "info STRUCT(note VARCHAR, words VARCHAR[]), doc JSON");
  constexpr int64_t kEvents = 7000;  // four chunks of 2,048 rows
  schema::JsonRecordEncoder encoder(events.definition, schema::UnknownFieldPolicy::kReject);
  log::BatchBuilder batch(events.definition->latest().version);
  for (int64_t id = 0; id < kEvents; ++id) {
    std::string json =
        fmt::format(R"({{"id":{0},"name":"a name longer than twelve bytes {0}","tags":["tag number {0}","short",null],)"
                    R"("info":{{"note":"a note longer than twelve bytes {0}","words":["word number {0}"]}},)"
                    R"("doc":{{"key":"a document longer than twelve bytes {0}"}}}})",
                    id);
    if (id % 7 == 0) json = fmt::format(R"({{"id":{},"info":null}})", id);
    const size_t size = json.size();
    json.append(schema::kJsonPaddingBytes, ' ');
    Bytes record;
    ASSERT_TRUE(encoder.Encode(std::string_view(json.data(), size), record, nullptr).ok()) << json;
    batch.Add(1'700'000'000'000'000 + id, record);
  }
  std::promise<Result<log::AppendResult>> done;
  events.log->partition(PartitionId(0))->Append(std::move(batch), [&done](Result<log::AppendResult> r) {
    done.set_value(std::move(r));
  });
  ASSERT_TRUE(done.get_future().get().ok());

  const int64_t with_values = kEvents - (kEvents + 6) / 7;
  const std::string every_string_intact = fmt::format(
      "SELECT count(*) FROM (SELECT * FROM events ORDER BY id DESC) WHERE "
      "name = 'a name longer than twelve bytes ' || id AND tags[1] = 'tag number ' || id AND tags[2] = 'short' AND "
      "tags[3] IS NULL AND info.note = 'a note longer than twelve bytes ' || id AND "
      "info.words[1] = 'word number ' || id AND json_extract_string(doc, 'key') = 'a document longer than twelve bytes "
      "' || id");
  EXPECT_EQ(QueryOne(every_string_intact), std::to_string(with_values));
  EXPECT_EQ(
      QueryOne("SELECT count(*) FROM events WHERE name IS NULL AND tags IS NULL AND info IS NULL AND doc IS NULL"),
      std::to_string(kEvents - with_values));
  EXPECT_EQ(QueryOne("SELECT count(DISTINCT name), count(DISTINCT info.note), max(tags[1]) FROM events"),
            fmt::format("{}|{}|tag number 999", with_values, with_values));
  EXPECT_EQ(QueryOne("SELECT count(*) FROM events a JOIN events b ON a.name = b.name AND a.doc = b.doc"),
            std::to_string(with_values));
  // Streamed to the client: result chunks can still reference the scan's vectors after its next call.
  auto rows = Query("SELECT id, name, tags[1], info.words[1], doc FROM events");
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->size(), static_cast<size_t>(kEvents));
  for (const std::string& row : *rows) {
    int64_t id = -1;
    std::from_chars(row.data(), row.data() + row.find('|'), id);
    const std::string expected =
        id % 7 == 0 ? fmt::format("{}|NULL|NULL|NULL|NULL", id)
                    : fmt::format(R"({0}|a name longer than twelve bytes {0}|tag number {0}|word number {0}|)"
                                  R"({{"key":"a document longer than twelve bytes {0}"}})",
                                  id);
    ASSERT_EQ(row, expected);
  }
}

TEST_F(SqlEngineTest, StreamSplitBetweenLakeAndLogHasEveryEventOnce) {
  auto clicks = CreateStream("clicks", "id BIGINT NOT NULL, name VARCHAR");
  Append(clicks, 0, 3000);
  Load(clicks, 1000);  // offsets 0..999 in the lake, the rest only in the log
  EXPECT_EQ(QueryOne(kSummary), Summary(3000));
  Load(clicks, 1000);
  EXPECT_EQ(QueryOne(kSummary), Summary(3000));
  Append(clicks, 3000, 500);  // read-your-writes: appended, then visible to the next statement
  EXPECT_EQ(QueryOne(kSummary), Summary(3500));
  Load(clicks, 100000);  // everything in the lake, the tail empty
  EXPECT_EQ(QueryOne(kSummary), Summary(3500));
  EXPECT_EQ(QueryOne("SELECT count(*) FROM clicks WHERE _offset BETWEEN 999 AND 1000"), "2");
}

// A statement whose WHERE rules a lake file out never opens it: with that file gone from the
// disk, the statements that may skip it still answer (the right rows), and those that may not fail.
TEST_F(SqlEngineTest, FilesTheWhereRulesOutAreNeverOpened) {
  auto clicks = CreateStream("clicks", "id BIGINT NOT NULL, name VARCHAR");
  Append(clicks, 0, 3000);
  for (int i = 0; i < 3; ++i) Load(clicks, 1000);  // ids 0-999, 1000-1999 and 2000-2999: one file each
  Append(clicks, 3000, 100);                       // and 3000-3099 in the log only
  auto middle =
      Query(fmt::format("SELECT DISTINCT filename FROM read_parquet('{}/*.parquet', filename = true) "
                        "WHERE id = 1500",
                        (dir_.path() / "lake" / "clicks").string()));
  ASSERT_TRUE(middle.ok() && middle->size() == 1) << middle.status().ToString();
  const std::filesystem::path file = middle->front();
  std::filesystem::rename(file, dir_.path() / "aside.parquet");

  EXPECT_EQ(QueryOne("SELECT count(*), sum(id) FROM clicks WHERE id >= 2000"), "1100|2804450");
  EXPECT_EQ(QueryOne("SELECT count(*) FROM clicks c WHERE 999 >= c.id AND name <> ''"), "1000");
  EXPECT_EQ(QueryOne("SELECT count(*), min(id), max(id) FROM clicks WHERE clicks.id BETWEEN 2500 AND 3050"),
            "551|2500|3050");
  // The events' times are 1,700,000,000 s + id µs after the epoch.
  EXPECT_EQ(QueryOne("SELECT count(*) FROM clicks WHERE _event_time < TIMESTAMPTZ '2023-11-14 22:13:20.001+00'"),
            "1000");
  EXPECT_EQ(QueryOne("SELECT count(*) FROM clicks WHERE _offset > 2999"), "100");
  // The same session then reads every file again for a statement that needs them.
  EXPECT_FALSE(Query("SELECT count(*) FROM clicks").ok());
  for (const char* sql : {
           "SELECT count(*) FROM clicks WHERE id < 1000 OR id >= 2000",
           "SELECT count(*) FROM clicks WHERE _event_time < TIMESTAMPTZ '2023-11-14 22:13:20.001'",  // no offset
           "SELECT (SELECT count(*) FROM clicks) FROM clicks WHERE id >= 2000 LIMIT 1",
           "SELECT count(*) FROM clicks a JOIN clicks b USING (id) WHERE a.id >= 2000",
       }) {
    EXPECT_FALSE(Query(sql).ok()) << sql;
  }
  EXPECT_FALSE(Query("SELECT count(*) FROM clicks WHERE id >= $1", {int64_t{2000}}).ok());  // known too late
  // Once a session may have left UTC, timestamps skip no file any more; integers still do.
  ASSERT_TRUE(Query("SET TimeZone = 'America/New_York'").ok());
  EXPECT_FALSE(Query("SELECT count(*) FROM clicks WHERE _event_time < TIMESTAMPTZ '2023-11-14 22:13:20.001+00'").ok());
  EXPECT_EQ(QueryOne("SELECT count(*), sum(id) FROM clicks WHERE id >= 2000"), "1100|2804450");
  ASSERT_TRUE(Query("RESET TimeZone").ok());

  std::filesystem::rename(dir_.path() / "aside.parquet", file);
  EXPECT_EQ(QueryOne("SELECT count(*), sum(id) FROM clicks"), "3100|4803450");

  // A function of the user's own may read a relation the statement does not name: no statement
  // skips files once one may exist.
  ASSERT_TRUE(Query("CREATE MACRO all_clicks() AS (SELECT count(*) FROM clicks)").ok());
  EXPECT_EQ(QueryOne("SELECT all_clicks() FROM clicks WHERE id >= 2000 LIMIT 1"), "3100");
  std::filesystem::rename(file, dir_.path() / "aside.parquet");
  EXPECT_FALSE(Query("SELECT count(*) FROM clicks WHERE id >= 2000").ok());
}

// A stream's view lists files, and its tail starts where the snapshot of those files ends (pinned
// per connection). Loads that add only files a statement skips leave the view's text alone: each
// execution of a prepared statement still sees every matching event once, whichever tail start
// its plan was bound with.
TEST_F(SqlEngineTest, PreparedStatementSkippingFilesSeesEachEventOnceAcrossLoads) {
  auto clicks = CreateStream("clicks", "id BIGINT NOT NULL, name VARCHAR");
  Append(clicks, 0, 100);  // offsets 0-99
  Load(clicks, 100);
  auto statement = session_->Prepare("SELECT count(*), sum(id) FROM clicks WHERE id >= 5000");
  ASSERT_TRUE(statement.ok()) << statement.status().ToString();
  auto run = [&]() -> std::string {
    auto cursor = (*statement)->Execute({});
    if (!cursor.ok()) return cursor.status().ToString();
    auto chunk = (*cursor)->Next();
    if (!chunk.ok() || *chunk == nullptr) return "no rows";
    std::string text;
    (*chunk)->AppendText(0, 0, &text);
    text += '|';
    if ((*chunk)->IsNull(1, 0)) return text + "NULL";
    (*chunk)->AppendText(1, 0, &text);
    return text;
  };
  EXPECT_EQ(run(), "0|NULL");
  Append(clicks, 5000, 5);   // offsets 100-104: may match
  Append(clicks, 100, 100);  // offsets 105-204: never match
  EXPECT_EQ(run(), "5|25010");
  Load(clicks, 5);  // a file the statement lists
  EXPECT_EQ(run(), "5|25010");
  Load(clicks, 100);  // a file it skips: its rows come from the tail or not at all
  EXPECT_EQ(QueryOne("SELECT count(*) FROM clicks"), "205");  // the session's view, every file
  EXPECT_EQ(run(), "5|25010");
  Append(clicks, 5005, 1);
  EXPECT_EQ(run(), "6|30015");
  Load(clicks, 100);
  EXPECT_EQ(run(), "6|30015");
  EXPECT_EQ(QueryOne("SELECT count(*), sum(id) FROM clicks WHERE id >= 100"), "106|44965");
}

TEST_F(SqlEngineTest, PreparedStatementSeesNewEventsAtEveryExecution) {
  auto clicks = CreateStream("clicks", "id BIGINT NOT NULL, name VARCHAR");
  auto statement = session_->Prepare("SELECT count(*) FROM clicks WHERE id >= $1");
  ASSERT_TRUE(statement.ok()) << statement.status().ToString();
  ASSERT_EQ((*statement)->param_count(), 1u);
  auto count = [&](int64_t from) {
    auto cursor = (*statement)->Execute(std::vector<Param>{from});
    EXPECT_TRUE(cursor.ok()) << cursor.status().ToString();
    auto chunk = (*cursor)->Next();
    EXPECT_TRUE(chunk.ok() && *chunk != nullptr);
    std::string text;
    (*chunk)->AppendText(0, 0, &text);
    return text;
  };
  EXPECT_EQ(count(0), "0");
  Append(clicks, 0, 100);
  EXPECT_EQ(count(50), "50");
  Load(clicks, 60);
  Append(clicks, 100, 10);
  EXPECT_EQ(count(0), "110");
}

TEST_F(SqlEngineTest, PartitionedStream) {
  auto clicks = CreateStream("clicks", "id BIGINT NOT NULL, name VARCHAR", 3);
  for (int32_t p = 0; p < 3; ++p) Append(clicks, int64_t{p} * 1000, 1000, p);
  Load(clicks, 400, 1);
  EXPECT_EQ(QueryOne(kSummary), Summary(3000));
  EXPECT_EQ(QueryOne("SELECT count(DISTINCT _partition) FROM clicks"), "3");
}

TEST_F(SqlEngineTest, SchemaEvolutionAfterLoadShowsNullForOldRows) {
  auto clicks = CreateStream("clicks", "id BIGINT NOT NULL, name VARCHAR");
  Append(clicks, 0, 10);
  Load(clicks, 100);
  auto evolved = registry_->AddColumns("clicks", SchemaVersion(1), {{"extra", schema::Type::Integer(), true}});
  ASSERT_TRUE(evolved.ok()) << evolved.status().ToString();
  Append(*evolved, 10, 5, 0, "extra");
  EXPECT_EQ(QueryOne("SELECT count(*), count(extra), sum(extra) FROM clicks"), "15|5|60");
  // The file without `extra` first, one with it next: the scan must read the second's values (its
  // stats name every column; the first's lack `extra`, so it is read by name).
  Load(*evolved, 100);
  EXPECT_EQ(QueryOne("SELECT count(*), count(extra), sum(extra) FROM clicks"), "15|5|60");
  auto columns = Query("SELECT column_name FROM (DESCRIBE clicks)");
  ASSERT_TRUE(columns.ok()) << columns.status().ToString();
  EXPECT_EQ(*columns,
            (std::vector<std::string>{"id", "name", "extra", "_offset", "_partition", "_ingested_at", "_event_time"}));
}

TEST_F(SqlEngineTest, DroppedStreamIsGone) {
  auto clicks = CreateStream("clicks", "id BIGINT NOT NULL, name VARCHAR");
  Append(clicks, 0, 10);
  EXPECT_EQ(QueryOne("SELECT count(*) FROM clicks"), "10");
  ASSERT_TRUE(registry_->Drop("clicks").ok());
  auto rows = Query("SELECT count(*) FROM clicks");
  ASSERT_FALSE(rows.ok());
  EXPECT_NE(rows.status().message().find("clicks"), std::string::npos) << rows.status().ToString();
}

TEST_F(SqlEngineTest, ErrorsKeepDuckDbsMessage) {
  auto rows = Query("SELEC 1");
  ASSERT_FALSE(rows.ok());
  EXPECT_EQ(rows.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(rows.status().message().find("syntax error"), std::string::npos) << rows.status().ToString();
  rows = Query("SELECT * FROM no_such_table");
  ASSERT_FALSE(rows.ok());
  EXPECT_NE(rows.status().message().find("no_such_table"), std::string::npos) << rows.status().ToString();
  EXPECT_EQ(QueryOne("SELECT 42"), "42");  // the session still works
}

TEST_F(SqlEngineTest, StatementTimeoutInterrupts) {
  auto rows = Query("SELECT count(*) FROM range(1000000000000) a");
  ASSERT_FALSE(rows.ok());
  EXPECT_EQ(rows.status().code(), StatusCode::kDeadlineExceeded) << rows.status().ToString();
  EXPECT_EQ(QueryOne("SELECT 1"), "1");
}

TEST_F(SqlEngineTest, CancelFromAnotherThread) {
  // Cancel does nothing while no statement runs, so the canceller tries until the query is over:
  // no guess at when it started.
  std::atomic<bool> done{false};
  std::thread canceller([&] {
    while (!done.load()) {
      session_->Cancel();
      std::this_thread::yield();
    }
  });
  auto rows = Query("SELECT count(*) FROM range(1000000000000) a");
  done = true;
  canceller.join();
  ASSERT_FALSE(rows.ok());
  EXPECT_EQ(rows.status().code(), StatusCode::kCancelled) << rows.status().ToString();
  EXPECT_EQ(QueryOne("SELECT 1"), "1");
}

TEST_F(SqlEngineTest, MultipleStatementsRunInOrder) {
  auto count = session_->Parse("CREATE TABLE t (i INTEGER); INSERT INTO t VALUES (1), (2); SELECT sum(i) FROM t");
  ASSERT_TRUE(count.ok()) << count.status().ToString();
  ASSERT_EQ(*count, 3u);
  std::vector<int64_t> changed;
  for (size_t i = 0; i < *count; ++i) {
    auto statement = session_->PrepareParsed(i);
    ASSERT_TRUE(statement.ok()) << statement.status().ToString();
    auto cursor = (*statement)->Execute({});
    ASSERT_TRUE(cursor.ok()) << cursor.status().ToString();
    changed.push_back((*cursor)->changed_rows());
  }
  EXPECT_EQ(changed, (std::vector<int64_t>{-1, 2, -1}));
}

TEST_F(SqlEngineTest, SessionLimit) {
  std::vector<std::unique_ptr<Session>> sessions;
  for (int i = 1; i < SqlEngineOptions::Defaults().sessions_max; ++i) {
    auto session = engine_->OpenSession();
    ASSERT_TRUE(session.ok()) << session.status().ToString();
    sessions.push_back(std::move(*session));
  }
  auto refused = engine_->OpenSession();
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kResourceExhausted);
  sessions.pop_back();
  EXPECT_TRUE(engine_->OpenSession().ok());
}

TEST_F(SqlEngineTest, PgCatalogShimShowsStreamsAsTablesWithPostgresTypes) {
  CreateStream("clicks", "id BIGINT NOT NULL, name VARCHAR, price DECIMAL(10,2), tags INTEGER[]");
  ASSERT_TRUE(Query("CREATE TABLE dim (k INTEGER)").ok());
  ASSERT_TRUE(Query("CREATE TEMP VIEW mine AS SELECT 1 AS one").ok());
  constexpr std::string_view kRelations =
      "SELECT n.nspname, c.relname, c.relkind FROM lagoa_pg.pg_class c JOIN lagoa_pg.pg_namespace n "
      "ON n.oid = c.relnamespace WHERE c.relname IN ('clicks', 'dim', 'mine') ORDER BY 2";
  auto rows = Query(kRelations);
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  // A session's own temporary view stays a view (its namespace, temp, is not PostgreSQL's).
  EXPECT_EQ(*rows, (std::vector<std::string>{"main|clicks|r", "main|dim|r"}));
  EXPECT_EQ(QueryOne("SELECT relkind FROM lagoa_pg.pg_class WHERE relname = 'mine'"), "v");
  rows = Query(
      "SELECT a.attnum, a.attname, a.atttypid, lagoa_pg.format_type(a.atttypid, a.atttypmod), a.attnotnull "
      "FROM lagoa_pg.pg_attribute a JOIN lagoa_pg.pg_class c ON c.oid = a.attrelid JOIN lagoa_pg.pg_type t "
      "ON t.oid = a.atttypid WHERE c.relname = 'clicks' ORDER BY a.attnum");
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ(*rows, (std::vector<std::string>{"1|id|20|bigint|false",  // a view's columns are nullable to DuckDB
                                             "2|name|25|text|false", "3|price|1700|numeric(10,2)|false",
                                             "4|tags|1007|integer[]|false", "5|_offset|20|bigint|false",
                                             "6|_partition|23|integer|false",
                                             "7|_ingested_at|1184|timestamp with time zone|false",
                                             "8|_event_time|1184|timestamp with time zone|false"}));
  EXPECT_EQ(QueryOne("SELECT table_catalog, table_schema, table_type FROM lagoa_pg.tables WHERE table_name = 'clicks'"),
            "memory|main|BASE TABLE");
  EXPECT_EQ(QueryOne("SELECT string_agg(data_type || '/' || udt_name, ',' ORDER BY ordinal_position) "
                     "FROM lagoa_pg.columns WHERE table_name = 'clicks' AND column_name IN ('id', 'name', 'tags')"),
            "bigint/int8,text/text,ARRAY/_int4");
}

TEST_F(SqlEngineTest, PgCatalogShimLeavesDuckDbsOwnCatalogAlone) {
  CreateStream("clicks", "id BIGINT");
  EXPECT_EQ(QueryOne("SELECT relkind FROM pg_catalog.pg_class WHERE relname = 'clicks'"), "v");
  // The stream and its dead-letter stream, none of the shim's views.
  EXPECT_EQ(QueryOne("SELECT string_agg(name, ',' ORDER BY name) FROM (SHOW TABLES)"), "clicks,clicks.dlq");
  EXPECT_EQ(QueryOne("SELECT format_type(23, -1) = 'integer'"), "false");  // DuckDB's function
}

TEST_F(SqlEngineTest, ColumnsOfAStatementWithAnUntypedParameterAreKnownAtExecution) {
  auto typed = session_->Prepare("SELECT $1::BIGINT + 1 AS n");
  ASSERT_TRUE(typed.ok()) << typed.status().ToString();
  EXPECT_TRUE((*typed)->columns_known());
  EXPECT_EQ((*typed)->columns().size(), 1u);
  auto untyped = session_->Prepare("SELECT $1::BIGINT + 1 AS n, $2 AS t");
  ASSERT_TRUE(untyped.ok()) << untyped.status().ToString();
  EXPECT_FALSE((*untyped)->columns_known());
  EXPECT_TRUE((*untyped)->columns().empty());
  std::vector<Param> params = {int64_t{41}, std::string("x")};
  auto cursor = (*untyped)->Execute(params);
  ASSERT_TRUE(cursor.ok()) << cursor.status().ToString();
  ASSERT_EQ((*cursor)->columns().size(), 2u);
  EXPECT_EQ((*cursor)->columns()[1].name, "t");
}

}  // namespace
}  // namespace lagoa::sql

// Serialization of actions, round-tripped through the reader's parser.
#include "lake/delta/delta_writer_actions.h"

#include <gtest/gtest.h>

#include "lake/delta/delta_schema.h"

namespace lagoa::lake {
namespace {

using schema::Field;
using schema::Type;

Action RoundTrip(const Action& action) {
  const std::string line = SerializeAction(action);
  EXPECT_EQ(line.find('\n'), std::string::npos);
  auto parsed = ParseAction(line);
  EXPECT_TRUE(parsed.ok()) << parsed.status().ToString() << " in " << line;
  if (!parsed.ok() || !parsed->has_value()) return CommitInfo{};
  return std::move(**parsed);
}

TEST(DeltaWriterActions, EveryActionRoundTripsThroughTheParser) {
  const Protocol protocol{1, 2, {}, {}};
  EXPECT_EQ(std::get<Protocol>(RoundTrip(protocol)), protocol);

  Metadata metadata;
  metadata.id = NewTableId();
  metadata.name = "events";
  metadata.format_provider = "parquet";
  metadata.schema_string = SparkSchemaString({{"id", Type::BigInt(), false}, {"p", Type::Varchar(), true}});
  metadata.partition_columns = {"p"};
  metadata.configuration = {{"delta.appendOnly", "false"}, {"lagoa.stream", "a \"quoted\" name"}};
  metadata.created_time_ms = 1700000000000;
  const auto got = std::get<Metadata>(RoundTrip(metadata));
  EXPECT_EQ(got.id, metadata.id);
  EXPECT_EQ(got.name, metadata.name);
  EXPECT_EQ(got.format_provider, "parquet");
  EXPECT_EQ(got.schema_string, metadata.schema_string);
  EXPECT_EQ(got.partition_columns, metadata.partition_columns);
  EXPECT_EQ(got.configuration, metadata.configuration);
  EXPECT_EQ(got.created_time_ms, metadata.created_time_ms);

  FileStats stats{.num_records = 3,
                  .min_values_json = {{"id", "1"}, {"s", "\"a\""}},
                  .max_values_json = {{"id", "9"}, {"s", "\"z\""}},
                  .null_count = {{"id", 0}, {"s", 1}}};
  auto stats_json = SerializeFileStats(stats);
  ASSERT_TRUE(stats_json.ok()) << stats_json.status().ToString();
  EXPECT_EQ(*stats_json,
            R"({"numRecords":3,"minValues":{"id":1,"s":"a"},"maxValues":{"id":9,"s":"z"},"nullCount":{"id":0,"s":1}})");
  EXPECT_EQ(SerializeFileStats({.num_records = 1, .min_values_json = {{"x", "not json"}}}).status().code(),
            StatusCode::kInvalidArgument);

  AddFile add{.path = "p=a b/part:1%.parquet",
              .partition_values = {{"p", "a b"}, {"q", std::nullopt}},
              .size_bytes = 1234,
              .modification_time_ms = 55,
              .data_change = true,
              .stats = *stats_json,
              .has_deletion_vector = false};
  EXPECT_NE(SerializeAction(add).find(R"("path":"p=a%20b/part%3A1%25.parquet")"), std::string::npos);
  EXPECT_NE(SerializeAction(add).find(R"("stats":"{\"numRecords\":3,)"), std::string::npos);  // a string
  const auto got_add = std::get<AddFile>(RoundTrip(add));
  EXPECT_EQ(got_add.path, add.path);
  EXPECT_EQ(got_add.partition_values, add.partition_values);
  EXPECT_EQ(got_add.size_bytes, add.size_bytes);
  EXPECT_EQ(got_add.modification_time_ms, add.modification_time_ms);
  EXPECT_EQ(got_add.data_change, add.data_change);
  EXPECT_EQ(got_add.stats, add.stats);

  RemoveFile remove{.path = "x y.parquet", .deletion_timestamp_ms = 77, .data_change = true};
  const auto got_remove = std::get<RemoveFile>(RoundTrip(remove));
  EXPECT_EQ(got_remove.path, remove.path);
  EXPECT_EQ(got_remove.deletion_timestamp_ms, remove.deletion_timestamp_ms);
  EXPECT_EQ(got_remove.data_change, remove.data_change);

  Txn txn{.app_id = "loader-1", .version = 42, .last_updated_ms = 99};
  const auto got_txn = std::get<Txn>(RoundTrip(txn));
  EXPECT_EQ(got_txn.app_id, txn.app_id);
  EXPECT_EQ(got_txn.version, txn.version);
  EXPECT_EQ(got_txn.last_updated_ms, txn.last_updated_ms);
}

TEST(DeltaWriterActions, CommitInfoNamesTheEngineAndParsesAsProvenance) {
  const std::string line =
      SerializeCommitInfo({.timestamp_ms = 5, .operation = "WRITE", .operation_parameters = {{"mode", "Append"}}});
  EXPECT_EQ(
      line,
      R"({"commitInfo":{"timestamp":5,"operation":"WRITE","operationParameters":{"mode":"Append"},"engineInfo":"lagoa/0.1.0"}})");
  auto actions = ParseCommitFile(SerializeCommit({line, SerializeAction(Protocol{1, 2, {}, {}})}));
  ASSERT_TRUE(actions.ok()) << actions.status().ToString();
  ASSERT_EQ(actions->size(), 2u);
  EXPECT_TRUE(std::holds_alternative<CommitInfo>((*actions)[0]));
}

TEST(DeltaWriterActions, SchemaStringIsTheInverseOfTheReadersMapping) {
  const std::vector<Field> fields = {
      {"id", Type::BigInt(), false},
      {"n", Type::Integer(), true},
      {"ok", Type::Boolean(), true},
      {"x", Type::Double(), true},
      {"price", Type::Decimal(10, 2), true},
      {"name", Type::Varchar(), true},
      {"day", Type::Date(), true},
      {"at", Type::TimestampTz(), true},
      {"tags", Type::List(Type::Varchar()), true},
      {"point", Type::Struct({{"lat", Type::Double(), true}, {"ids", Type::List(Type::BigInt()), true}}), true},
  };
  auto columns = ParseSparkSchema(SparkSchemaString(fields));
  ASSERT_TRUE(columns.ok()) << columns.status().ToString();
  auto back = ToLagoaFields(*columns);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, fields);
  EXPECT_EQ((*columns)[4].spark_type, "decimal(10,2)");

  // Documented lossy cases: JSON is stored as string, TIMESTAMP as timestamp (not timestamp_ntz).
  auto lossy = ParseSparkSchema(SparkSchemaString({{"j", Type::Json(), true}, {"t", Type::Timestamp(), true}}));
  ASSERT_TRUE(lossy.ok()) << lossy.status().ToString();
  EXPECT_EQ((*lossy)[0].type, Type::Varchar());
  EXPECT_EQ((*lossy)[1].spark_type, "timestamp");
}

TEST(DeltaWriterActions, PathEncodingInvertsDecoding) {
  for (std::string_view key :
       {"a.parquet", "p=1/q=x y/f.parquet", "d=2021-09-08 11%3A11/ü.parquet", "a+b&c#d?.parquet"}) {
    const std::string encoded = EncodeDeltaPath(key);
    auto decoded = DecodeDeltaPath(encoded);
    ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
    EXPECT_EQ(*decoded, key) << encoded;
  }
  EXPECT_EQ(EncodeDeltaPath("d=11%3A11/a b"), "d=11%253A11/a%20b");
}

TEST(DeltaWriterActions, TableIdsAreVersion4Uuids) {
  const std::string a = NewTableId();
  const std::string b = NewTableId();
  EXPECT_NE(a, b);
  ASSERT_EQ(a.size(), 36u);
  EXPECT_EQ(a[8], '-');
  EXPECT_EQ(a[14], '4');
  EXPECT_TRUE(a[19] == '8' || a[19] == '9' || a[19] == 'a' || a[19] == 'b') << a;
}

}  // namespace
}  // namespace lagoa::lake

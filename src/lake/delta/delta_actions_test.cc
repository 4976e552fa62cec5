#include "lake/delta/delta_actions.h"

#include <gtest/gtest.h>

#include "lake/delta/snapshot.h"

namespace lagoa::lake {
namespace {

template <typename T>
T ParseOne(std::string_view json) {
  auto action = ParseAction(json);
  EXPECT_TRUE(action.ok()) << action.status().ToString();
  EXPECT_TRUE(action->has_value());
  EXPECT_TRUE(std::holds_alternative<T>(**action));
  return std::get<T>(**action);
}

TEST(DeltaActions, ParsesEveryActionOfAHandWrittenCommit) {
  constexpr std::string_view kCommit =
      R"({"commitInfo":{"timestamp":1,"operation":"WRITE","anything":[1,{"x":2}]}})"
      "\n"
      R"({"protocol":{"minReaderVersion":1,"minWriterVersion":2}})"
      "\n"
      R"({"metaData":{"id":"t1","format":{"provider":"parquet","options":{}},"schemaString":"{\"type\":\"struct\",\"fields\":[]}","partitionColumns":["p"],"configuration":{"delta.appendOnly":"true"},"createdTime":7}})"
      "\n\n"
      R"({"add":{"path":"p=a%20b/f%253A1.parquet","partitionValues":{"p":"a b","q":null,"r":""},"size":10,"modificationTime":11,"dataChange":true,"stats":"{\"numRecords\":3}"}})"
      "\n"
      R"({"remove":{"path":"old.parquet","deletionTimestamp":12,"dataChange":true}})"
      "\n"
      R"({"txn":{"appId":"loader","version":42,"lastUpdated":13}})"
      "\n"
      R"({"cdc":{"path":"c.parquet","partitionValues":{},"size":1,"dataChange":false}})"
      "\n";
  auto actions = ParseCommitFile(kCommit);
  ASSERT_TRUE(actions.ok()) << actions.status().ToString();
  ASSERT_EQ(actions->size(), 6u);  // cdc is not an action a version-1 reader needs
  EXPECT_TRUE(std::holds_alternative<CommitInfo>((*actions)[0]));
  EXPECT_EQ(std::get<Protocol>((*actions)[1]), (Protocol{1, 2, {}, {}}));
  const auto& metadata = std::get<Metadata>((*actions)[2]);
  EXPECT_EQ(metadata.id, "t1");
  EXPECT_EQ(metadata.format_provider, "parquet");
  EXPECT_EQ(metadata.partition_columns, std::vector<std::string>{"p"});
  EXPECT_EQ(metadata.configuration.at("delta.appendOnly"), "true");
  EXPECT_EQ(metadata.created_time_ms, 7);
  const auto& add = std::get<AddFile>((*actions)[3]);
  EXPECT_EQ(add.path, "p=a b/f%3A1.parquet");
  EXPECT_EQ(add.partition_values.at("p"), "a b");
  EXPECT_EQ(add.partition_values.at("q"), std::nullopt);
  EXPECT_EQ(add.partition_values.at("r"), std::nullopt);  // empty means null
  EXPECT_EQ(add.size_bytes, 10);
  EXPECT_EQ(add.modification_time_ms, 11);
  EXPECT_TRUE(add.data_change);
  EXPECT_EQ(add.stats, R"({"numRecords":3})");
  const auto& remove = std::get<RemoveFile>((*actions)[4]);
  EXPECT_EQ(remove.path, "old.parquet");
  EXPECT_EQ(remove.deletion_timestamp_ms, 12);
  const auto& txn = std::get<Txn>((*actions)[5]);
  EXPECT_EQ(txn.app_id, "loader");
  EXPECT_EQ(txn.version, 42);
}

TEST(DeltaActions, ReadsCheckpointRowsWhoseOtherActionsAreNull) {
  auto add = ParseOne<AddFile>(
      R"({"txn":null,"add":{"path":"a.parquet","partitionValues":{},"size":1,"modificationTime":2,"dataChange":false,"tags":null,"deletionVector":null,"stats":null},"remove":null,"metaData":null,"protocol":null})");
  EXPECT_EQ(add.path, "a.parquet");
  EXPECT_FALSE(add.has_deletion_vector);
  EXPECT_TRUE(add.stats.empty());
  auto none = ParseAction(R"({"txn":null,"add":null})");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  auto protocol = ParseOne<Protocol>(
      R"({"protocol":{"minReaderVersion":3,"minWriterVersion":7,"readerFeatures":["deletionVectors"],"writerFeatures":null}})");
  EXPECT_EQ(protocol.reader_features, std::vector<std::string>{"deletionVectors"});
}

TEST(DeltaActions, ErrorsNameTheLineAndTheField) {
  auto bad_json = ParseCommitFile("{\"commitInfo\":{}}\n{\"add\":");
  EXPECT_EQ(bad_json.status().code(), StatusCode::kCorruption);
  EXPECT_NE(bad_json.status().message().find("line 2"), std::string::npos) << bad_json.status().message();
  auto missing = ParseCommitFile(R"({"add":{"path":"a","partitionValues":{},"modificationTime":1,"dataChange":true}})");
  EXPECT_NE(missing.status().message().find("`size` is missing"), std::string::npos) << missing.status().message();
  auto two = ParseAction(
      R"({"add":{"path":"a","size":1,"modificationTime":1,"dataChange":true},"txn":{"appId":"x","version":1}})");
  EXPECT_NE(two.status().message().find("two actions"), std::string::npos) << two.status().message();
  auto wrong_type = ParseAction(R"({"protocol":{"minReaderVersion":"1","minWriterVersion":2}})");
  EXPECT_NE(wrong_type.status().message().find("minReaderVersion"), std::string::npos);
}

TEST(DeltaPath, DecodesPercentEscapesOnce) {
  EXPECT_EQ(DecodeDeltaPath("a%20b/c.parquet").value(), "a b/c.parquet");
  EXPECT_EQ(DecodeDeltaPath("ts=2021-09-08%2011%253A11%253A11/f").value(), "ts=2021-09-08 11%3A11%3A11/f");
  EXPECT_EQ(DecodeDeltaPath("plus+sign%2Bx").value(), "plus+sign+x");
  EXPECT_EQ(DecodeDeltaPath("%C3%A9t%C3%A9").value(), "\xC3\xA9t\xC3\xA9");
}

TEST(DeltaPath, RefusesMalformedAbsoluteAndEscapingPaths) {
  for (const char* bad : {"a%2", "a%zz", "/abs/file.parquet", "s3://bucket/file.parquet", "file:/x", "../x",
                          "a/%2E%2E/b", "a%2F%2Fb", ""}) {
    EXPECT_EQ(DecodeDeltaPath(bad).status().code(), StatusCode::kInvalidArgument) << bad;
  }
}

TEST(ProtocolCheck, RefusesReaderVersionsAboveOneAndReaderFeatures) {
  EXPECT_TRUE(CheckReaderProtocol({1, 2, {}, {}}).ok());
  EXPECT_TRUE(CheckReaderProtocol({1, 7, {}, {"appendOnly"}}).ok());
  Status v2 = CheckReaderProtocol({2, 5, {}, {}});
  EXPECT_EQ(v2.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(v2.message().find("reader version 2"), std::string::npos) << v2.message();
  Status v3 = CheckReaderProtocol({3, 7, {"deletionVectors", "columnMapping"}, {}});
  EXPECT_NE(v3.message().find("reader version 3 with reader features [deletionVectors, columnMapping]"),
            std::string::npos)
      << v3.message();
  Status v99 = CheckReaderProtocol({99, 7, {}, {}});
  EXPECT_NE(v99.message().find("reader version 99"), std::string::npos) << v99.message();
}

AddFile Add(std::string path) {
  AddFile add;
  add.path = std::move(path);
  add.data_change = true;
  return add;
}

Metadata SimpleMetadata() {
  Metadata m;
  m.id = "t";
  m.format_provider = "parquet";
  m.schema_string = R"({"type":"struct","fields":[{"name":"id","type":"long","nullable":true,"metadata":{}}]})";
  return m;
}

TEST(LogReplay, LatestActionsWinAndRemovesCancelEarlierAdds) {
  LogReplay replay("");
  replay.Apply(Protocol{1, 2, {}, {}});
  replay.Apply(SimpleMetadata());
  replay.Apply(Add("a"));
  replay.Apply(Add("b"));
  replay.Apply(RemoveFile{"a", 1, true});
  replay.Apply(Add("c"));
  replay.Apply(RemoveFile{"c", 2, true});
  replay.Apply(Add("c"));  // re-added after its remove: active again
  replay.Apply(Txn{"app", 3, std::nullopt});
  replay.Apply(Txn{"app", 4, std::nullopt});
  Metadata renamed = SimpleMetadata();
  renamed.name = "renamed";
  replay.Apply(renamed);
  auto snapshot = std::move(replay).Finish(TableVersion(5));
  ASSERT_TRUE(snapshot.ok()) << snapshot.status().ToString();
  ASSERT_EQ(snapshot->files().size(), 2u);
  EXPECT_EQ(snapshot->files()[0].path, "b");
  EXPECT_EQ(snapshot->files()[1].path, "c");
  EXPECT_EQ(snapshot->app_version("app"), 4);
  EXPECT_EQ(snapshot->app_version("other"), std::nullopt);
  EXPECT_EQ(snapshot->metadata().name, "renamed");
  EXPECT_EQ(snapshot->version(), TableVersion(5));
}

TEST(LogReplay, RefusesAnUnreadableProtocolAndDeletionVectors) {
  LogReplay upgraded("");
  upgraded.Apply(Protocol{1, 2, {}, {}});
  upgraded.Apply(SimpleMetadata());
  upgraded.Apply(Protocol{3, 7, {"deletionVectors"}, {"deletionVectors"}});
  Status refused = std::move(upgraded).Finish(TableVersion(1)).status();
  EXPECT_EQ(refused.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.message().find("deletionVectors"), std::string::npos) << refused.message();

  LogReplay with_dv("");
  with_dv.Apply(Protocol{1, 2, {}, {}});
  with_dv.Apply(SimpleMetadata());
  AddFile add = Add("x");
  add.has_deletion_vector = true;
  with_dv.Apply(add);
  EXPECT_EQ(std::move(with_dv).Finish(TableVersion(0)).status().code(), StatusCode::kFailedPrecondition);

  LogReplay no_metadata("");
  no_metadata.Apply(Protocol{1, 2, {}, {}});
  EXPECT_EQ(std::move(no_metadata).Finish(TableVersion(0)).status().code(), StatusCode::kCorruption);
}

}  // namespace
}  // namespace lagoa::lake

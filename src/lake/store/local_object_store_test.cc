#include "lake/store/local_object_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <barrier>
#include <thread>

#include "lake/lake_test_util.h"
#include "lake/store/open_object_store.h"

namespace lagoa::lake {
namespace {

using testing_util::TempDir;

std::unique_ptr<LocalObjectStore> MakeStore(const std::filesystem::path& root) {
  auto store = LocalObjectStore::Make({.root = root});
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  return std::move(store).value();
}

TEST(LocalObjectStore, PutGetRangeListDelete) {
  TempDir dir;
  auto store = MakeStore(dir.path());
  ASSERT_TRUE(store->PutIfAbsent("t/_delta_log/00000000000000000000.json", "hello world").ok());
  ASSERT_TRUE(store->PutIfAbsent("t/part-0.parquet", "abc").ok());
  ASSERT_TRUE(store->PutIfAbsent("u/x", "").ok());

  auto whole = store->Get("t/_delta_log/00000000000000000000.json");
  ASSERT_TRUE(whole.ok()) << whole.status().ToString();
  EXPECT_EQ(*whole, "hello world");
  auto range = store->GetRange("t/_delta_log/00000000000000000000.json", 6, 100);
  ASSERT_TRUE(range.ok());
  EXPECT_EQ(*range, "world");
  EXPECT_EQ(store->GetRange("t/part-0.parquet", 3, 1).value(), "");
  EXPECT_EQ(store->GetRange("t/part-0.parquet", 4, 1).status().code(), StatusCode::kOutOfRange);

  auto listed = store->List("t/");
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].key, "t/_delta_log/00000000000000000000.json");
  EXPECT_EQ((*listed)[0].size_bytes, 11u);
  EXPECT_EQ((*listed)[1].key, "t/part-0.parquet");
  EXPECT_EQ(store->List("t/part").value().size(), 1u);
  EXPECT_EQ(store->List("").value().size(), 3u);
  EXPECT_TRUE(store->List("nothing/here/").value().empty());

  EXPECT_TRUE(store->Exists("t/part-0.parquet").value());
  EXPECT_FALSE(store->Exists("t/part-1.parquet").value());
  EXPECT_FALSE(store->Exists("t/part-0.parquet/below").value());  // a file is no folder
  EXPECT_FALSE(store->Exists("t/_delta_log").value());            // a folder is no object
  EXPECT_EQ(store->Exists("../t").status().code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(store->Delete("t/part-0.parquet").ok());
  EXPECT_FALSE(store->Exists("t/part-0.parquet").value());
  EXPECT_EQ(store->Get("t/part-0.parquet").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store->Delete("t/part-0.parquet").code(), StatusCode::kNotFound);
  EXPECT_EQ(store->DuckDbLocation("t/a b").value(), (dir.path() / "t/a b").string());
}

TEST(LocalObjectStore, PutIfAbsentNeverOverwrites) {
  TempDir dir;
  auto store = MakeStore(dir.path());
  ASSERT_TRUE(store->PutIfAbsent("k", "first").ok());
  Status second = store->PutIfAbsent("k", "second");
  EXPECT_EQ(second.code(), StatusCode::kAlreadyExists) << second.ToString();
  EXPECT_EQ(store->Get("k").value(), "first");
  // No temporary file is left behind or listed.
  size_t entries = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir.path())) ++entries;
  EXPECT_EQ(entries, 1u);
}

TEST(LocalObjectStore, RacingPutIfAbsentHasExactlyOneWinner) {
  TempDir dir;
  auto store = MakeStore(dir.path());
  constexpr int kRounds = 50;
  for (int round = 0; round < kRounds; ++round) {
    const std::string key = "_delta_log/" + std::to_string(round) + ".json";
    std::barrier start(2);
    Status results[2];
    auto writer = [&](int id) {
      start.arrive_and_wait();
      results[id] = store->PutIfAbsent(key, std::string(1000, static_cast<char>('a' + id)));
    };
    std::thread a(writer, 0);
    std::thread b(writer, 1);
    a.join();
    b.join();
    const int winners = (results[0].ok() ? 1 : 0) + (results[1].ok() ? 1 : 0);
    ASSERT_EQ(winners, 1) << results[0].ToString() << " / " << results[1].ToString();
    const int loser = results[0].ok() ? 1 : 0;
    EXPECT_EQ(results[loser].code(), StatusCode::kAlreadyExists);
    EXPECT_EQ(store->Get(key).value(), std::string(1000, static_cast<char>('a' + (1 - loser))));
  }
  EXPECT_EQ(store->List("_delta_log/").value().size(), static_cast<size_t>(kRounds));
}

TEST(LocalObjectStore, RejectsKeysThatEscapeTheRoot) {
  TempDir dir;
  auto store = MakeStore(dir.path());
  for (const char* key : {"", "/abs", "a//b", "../x", "a/../b", "a/./b", "a/", ".lagoa-tmp-x"}) {
    EXPECT_EQ(store->PutIfAbsent(key, "x").code(), StatusCode::kInvalidArgument) << key;
    EXPECT_EQ(store->Get(key).status().code(), StatusCode::kInvalidArgument) << key;
  }
}

TEST(LocalObjectStore, MakeChecksTheRoot) {
  TempDir dir;
  EXPECT_EQ(LocalObjectStore::Make({}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(LocalObjectStore::Make({.root = dir.path() / "missing"}).status().code(), StatusCode::kNotFound);
  auto created = LocalObjectStore::Make({.root = dir.path() / "new", .create_if_missing = true});
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_TRUE(std::filesystem::is_directory(dir.path() / "new"));
}

TEST(OpenObjectStore, OpensLocalFoldersByPathOrFileUri) {
  TempDir dir;
  auto by_path = OpenObjectStore(dir.path().string());
  ASSERT_TRUE(by_path.ok()) << by_path.status().ToString();
  ASSERT_TRUE((*by_path)->PutIfAbsent("a/b", "x").ok());
  auto by_uri = OpenObjectStore("file://" + (dir.path() / "a").string() + "/");
  ASSERT_TRUE(by_uri.ok()) << by_uri.status().ToString();
  EXPECT_EQ((*by_uri)->Get("b").value(), "x");
  EXPECT_EQ(OpenObjectStore((dir.path() / "missing").string()).status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(OpenObjectStore((dir.path() / "made").string(), /*create_if_missing=*/true).ok());
  const Status s3 = OpenObjectStore("s3://bucket/lake/").status();
  EXPECT_EQ(s3.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s3.message().find("not s3://"), std::string::npos) << s3.message();
  EXPECT_EQ(OpenObjectStore("relative/dir").status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace lagoa::lake

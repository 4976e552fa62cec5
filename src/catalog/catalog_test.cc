// The catalog over real owners: streams (and dead-letter streams) from a StreamRegistry on a real
// log, attached tables from an AttachedTables file; names checked ignoring case; column tags
// checked, kept across a reopen, and shown with their object.
#include "catalog/catalog.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "catalog/sources.h"
#include "ingest/stream_test_util.h"

namespace lagoa::catalog {
namespace {

namespace fs = std::filesystem;

class CatalogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(streams_.ok());
    auto attached = lake::AttachedTables::Open(dir_ / "attached.json");
    ASSERT_TRUE(attached.ok());
    attached_ = std::move(attached).value();
    streams_source_ = std::make_unique<StreamsSource>(streams_.registry(), dir_ / "lake");
    tables_source_ = std::make_unique<TablesSource>(attached_.get());
    Reopen();
  }

  void Reopen() {
    auto opened = Catalog::Open(dir_ / "tags.json");
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    catalog_ = std::move(opened).value();
    catalog_->AddSource(streams_source_.get());
    catalog_->AddSource(tables_source_.get());
  }

  void CreateStream(const std::string& name) {
    streams_.Create(name, "user_id BIGINT, email VARCHAR", false, 1'700'000'000'000'000);
  }

  ingest::testing_util::TestStreams streams_{"catalog"};
  const fs::path& dir_ = streams_.dir();
  std::unique_ptr<lake::AttachedTables> attached_;
  std::unique_ptr<StreamsSource> streams_source_;
  std::unique_ptr<TablesSource> tables_source_;
  std::unique_ptr<Catalog> catalog_;
};

TEST_F(CatalogTest, ListsEveryOwnersObjectsWithKindLocationAndLineage) {
  CreateStream("clicks");
  ASSERT_TRUE(attached_->Attach({"sales", "/data/sales", 1'700'000'000'000}).ok());
  std::vector<Entry> entries = catalog_->List();
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[0].name, "clicks");
  EXPECT_EQ(entries[0].kind, kStream);
  EXPECT_EQ(entries[0].location, "file://" + (dir_ / "lake" / "clicks").string() + "/");
  EXPECT_EQ(entries[0].created_ms, 1'700'000'000'000);
  ASSERT_EQ(entries[0].columns.size(), 2u);
  EXPECT_EQ(entries[0].columns[1].type, "VARCHAR");
  EXPECT_NE(entries[0].definition.find("\"user_id\""), std::string::npos) << entries[0].definition;
  EXPECT_EQ(entries[1].name, "clicks.dlq");
  EXPECT_EQ(entries[1].kind, kDeadLetterStream);
  EXPECT_EQ(entries[1].derived_from, std::vector<std::string>{"clicks"});
  EXPECT_EQ(entries[2].name, "sales");
  EXPECT_EQ(entries[2].kind, kAttachedTable);
  EXPECT_EQ(entries[2].location, "file:///data/sales/");
  ASSERT_TRUE(catalog_->Find("SALES").has_value());
  EXPECT_FALSE(catalog_->Find("nothing").has_value());
}

TEST_F(CatalogTest, OneNameCheckForEveryKindIgnoringCase) {
  CreateStream("clicks");
  ASSERT_TRUE(attached_->Attach({"sales", "/data/sales", 0}).ok());
  EXPECT_TRUE(catalog_->CheckRelationNameFree("orders", "CREATE TABLE").ok());
  Status taken = catalog_->CheckRelationNameFree("Clicks", "CREATE TABLE");
  EXPECT_EQ(taken.code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(taken.message(),
            "CREATE TABLE: \"Clicks\" is the name of a stream (spelled \"clicks\"; names ignore case); drop it first "
            "or choose another name");
  EXPECT_NE(catalog_->CheckRelationNameFree("sales", "CREATE STREAM").message().find("an attached table"),
            std::string::npos);
}

TEST_F(CatalogTest, ColumnTagsAreCheckedKeptAndShown) {
  CreateStream("clicks");
  EXPECT_TRUE(catalog_->SetColumnTags("CLICKS", "Email", {"personal", "personal"}).ok());
  EXPECT_TRUE(catalog_->SetColumnTags("clicks", "user_id", {"subject_key"}).ok());
  EXPECT_EQ(catalog_->SetColumnTags("clicks", "phone", {"personal"}).code(), StatusCode::kNotFound);
  EXPECT_EQ(catalog_->SetColumnTags("nothing", "x", {"personal"}).code(), StatusCode::kNotFound);
  EXPECT_EQ(catalog_->SetColumnTags("clicks", "email", {"Personal Data"}).code(), StatusCode::kInvalidArgument);
  Reopen();
  std::optional<Entry> clicks = catalog_->Find("clicks");
  ASSERT_TRUE(clicks.has_value());
  EXPECT_EQ(clicks->columns[0].tags, std::vector<std::string>{"subject_key"});
  EXPECT_EQ(clicks->columns[1].tags, std::vector<std::string>{"personal"});
  EXPECT_TRUE(catalog_->SetColumnTags("clicks", "email", {}).ok());
  Reopen();
  EXPECT_TRUE(catalog_->Find("clicks")->columns[1].tags.empty());
}

TEST_F(CatalogTest, ATagsFileThatIsNotTagsIsCorruption) {
  std::ofstream(dir_ / "bad.json") << "{\"clicks\": {\"email\": \"personal\"}}";
  auto opened = Catalog::Open(dir_ / "bad.json");
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), StatusCode::kCorruption);
  EXPECT_NE(opened.status().message().find("bad.json"), std::string::npos) << opened.status().ToString();
}

}  // namespace
}  // namespace lagoa::catalog

// LocalObjectStore::PutIfAbsent under injected file faults (base/file_faults.h), one fault point
// at a time: creating, writing and syncing the temporary file, linking it to the key's name and
// syncing the directory. Each fails the call with an error naming the file; until the link nothing
// of the object is visible and no temporary file stays behind, so the same key can be put again;
// after it the object is whole. Short writes still store every byte, also for a store made anew
// over the same directory. The fixture clears the rules after every test.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "base/file_faults.h"
#include "base/status.h"
#include "lake/lake_test_util.h"
#include "lake/store/local_object_store.h"

namespace lagoa::lake {
namespace {

namespace fs = std::filesystem;

constexpr const char* kKey = "t/_delta_log/00000000000000000001.json";

// The object at kKey, or its error in angle brackets.
std::string Contents(ObjectStore* store) {
  Result<std::string> data = store->Get(kKey);
  return data.ok() ? *data : "<" + data.status().ToString() + ">";
}

class LocalObjectStoreFaultTest : public ::testing::Test {
 protected:
  void SetUp() override { store_ = Reopen(); }
  void TearDown() override { EXPECT_TRUE(SetFileFaults("").ok()); }

  // A store over the test's directory, made anew: what a restarted server sees.
  std::unique_ptr<LocalObjectStore> Reopen() {
    auto store = LocalObjectStore::Make({.root = dir_.path()});
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(store).value() : nullptr;
  }

  static void Fault(const std::string& rules) { ASSERT_TRUE(SetFileFaults(rules).ok()) << rules; }

  // Every file under the store's root whose name starts with the temporary-file prefix.
  std::vector<fs::path> TemporaryFiles() const {
    std::vector<fs::path> found;
    for (const auto& entry : fs::recursive_directory_iterator(dir_.path())) {
      if (entry.path().filename().string().starts_with(kTempObjectPrefix)) found.push_back(entry.path());
    }
    return found;
  }

  fs::path ObjectPath() const { return dir_.path() / kKey; }

  // Sets `rule`, puts kKey, and checks that the put failed with an error holding each of
  // `fragments` and left nothing: no object (Get, Exists, List), no temporary file. Then the same
  // put succeeds and the object reads back, also through a store made anew.
  void ExpectFailedPutLeavesNothing(const std::string& rule, const std::vector<std::string>& fragments) {
    const std::string data = "{\"commitInfo\":{\"operation\":\"WRITE\"}}\n";
    Fault(rule);
    Status put = store_->PutIfAbsent(kKey, data);
    ASSERT_FALSE(put.ok()) << "the put succeeded under " << rule;
    EXPECT_EQ(FileFaultsHit(), 1u) << rule;
    const StatusCode expected = rule.find("ENOSPC") != std::string::npos ? StatusCode::kDiskFull : StatusCode::kIoError;
    EXPECT_EQ(StatusCodeName(put.code()), StatusCodeName(expected)) << put.ToString();
    for (const std::string& fragment : fragments) {
      EXPECT_NE(put.message().find(fragment), std::string::npos) << "no `" << fragment << "` in " << put.ToString();
    }
    ASSERT_TRUE(SetFileFaults("").ok());

    EXPECT_EQ(StatusCodeName(store_->Get(kKey).status().code()), StatusCodeName(StatusCode::kNotFound))
        << "a failed put left an object";
    EXPECT_FALSE(store_->Exists(kKey).value());
    auto listed = store_->List("");
    ASSERT_TRUE(listed.ok()) << listed.status().ToString();
    EXPECT_TRUE(listed->empty()) << listed->front().key;
    EXPECT_TRUE(TemporaryFiles().empty()) << "a failed put left " << TemporaryFiles().front();
    EXPECT_FALSE(fs::exists(ObjectPath()));

    Status again = store_->PutIfAbsent(kKey, data);
    ASSERT_TRUE(again.ok()) << "the key cannot be put after a failed put: " << again.ToString();
    EXPECT_EQ(Contents(store_.get()), data);
    auto reopened = Reopen();
    ASSERT_NE(reopened, nullptr);
    EXPECT_EQ(Contents(reopened.get()), data);
    EXPECT_EQ(reopened->List("").value().size(), 1u);
    EXPECT_TRUE(TemporaryFiles().empty());
  }

  testing_util::TempDir dir_;
  std::unique_ptr<LocalObjectStore> store_;
};

TEST_F(LocalObjectStoreFaultTest, PutIfAbsentFailingToCreateItsTemporaryFileLeavesNothing) {
  ExpectFailedPutLeavesNothing("op=open,do=EMFILE,path=*/.lagoa-tmp-*",
                               {"create " + (ObjectPath().parent_path() / kTempObjectPrefix).string(),
                                ObjectPath().filename().string(), "Too many open files"});
}

TEST_F(LocalObjectStoreFaultTest, PutIfAbsentFailingToWriteWithEnospcLeavesNoObjectAndNoTemporaryFile) {
  ExpectFailedPutLeavesNothing("op=write,do=ENOSPC,path=*/.lagoa-tmp-*",
                               {"write " + (ObjectPath().parent_path() / kTempObjectPrefix).string(),
                                ObjectPath().filename().string(), "No space left on device"});
}

TEST_F(LocalObjectStoreFaultTest, PutIfAbsentFailingToSyncLeavesNoObjectAndNoTemporaryFile) {
  ExpectFailedPutLeavesNothing("op=sync,do=EIO,path=*/.lagoa-tmp-*",
                               {"fdatasync " + (ObjectPath().parent_path() / kTempObjectPrefix).string(),
                                ObjectPath().filename().string(), "Input/output error"});
}

TEST_F(LocalObjectStoreFaultTest, PutIfAbsentFailingToLinkLeavesNoObjectAndNoTemporaryFile) {
  ExpectFailedPutLeavesNothing("op=link,do=EIO", {"link ", " to " + ObjectPath().string(), "Input/output error"});
}

// The directory sync comes after the link: the name exists but may not survive a machine crash.
// The call fails naming the directory; the object is whole (never a part of it), no temporary file
// stays, and the key is taken: a second put is refused, the first data stays.
TEST_F(LocalObjectStoreFaultTest, PutIfAbsentFailingToSyncTheDirectoryReportsItAndLeavesTheWholeObject) {
  // The store syncs the parents of the directories it creates too; the glob names only the
  // object's own directory, which no put syncs before its link.
  const fs::path object_dir = ObjectPath().parent_path();
  Fault("op=sync,do=EIO,path=*/t/_delta_log");
  const std::string data(5000, 'x');
  Status put = store_->PutIfAbsent(kKey, data);
  ASSERT_FALSE(put.ok()) << "the put succeeded though its directory sync failed";
  EXPECT_EQ(FileFaultsHit(), 1u);
  EXPECT_EQ(StatusCodeName(put.code()), StatusCodeName(StatusCode::kIoError)) << put.ToString();
  EXPECT_NE(put.message().find("fsync " + object_dir.string() + ": Input/output error"), std::string::npos)
      << put.ToString();
  ASSERT_TRUE(SetFileFaults("").ok());

  EXPECT_TRUE(TemporaryFiles().empty()) << "a failed put left " << TemporaryFiles().front();
  EXPECT_EQ(Contents(store_.get()), data) << "a part of the object is visible";
  Status second = store_->PutIfAbsent(kKey, "other");
  EXPECT_EQ(StatusCodeName(second.code()), StatusCodeName(StatusCode::kAlreadyExists)) << second.ToString();
  auto reopened = Reopen();
  ASSERT_NE(reopened, nullptr);
  EXPECT_EQ(Contents(reopened.get()), data);
  auto listed = reopened->List("t/");
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].size_bytes, data.size());
}

TEST_F(LocalObjectStoreFaultTest, PutIfAbsentWithEveryWriteCutShortStoresTheWholeObject) {
  std::string data(100'000, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 7 % 251);
  Fault("op=write,times=0,do=short");
  Status put = store_->PutIfAbsent(kKey, data);
  ASSERT_TRUE(put.ok()) << put.ToString();
  EXPECT_GE(FileFaultsHit(), 17u) << "100,000 bytes halved each call take 17 writes";
  ASSERT_TRUE(SetFileFaults("").ok());
  EXPECT_TRUE(TemporaryFiles().empty());
  EXPECT_EQ(Contents(store_.get()), data);
  auto reopened = Reopen();
  ASSERT_NE(reopened, nullptr);
  auto read = reopened->Get(kKey);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(read->size(), data.size());
  EXPECT_TRUE(*read == data) << "the object read back differs from what was put";
}

}  // namespace
}  // namespace lagoa::lake

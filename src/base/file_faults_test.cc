// The file-fault hook (file_faults.h) through the operations of file_util.h: rules parse or are
// refused with the rule and key named, hit the calls they count, fail them with their errno, cut
// writes short, and kill the process before or after an operation.
#include "base/file_faults.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "base/file_util.h"

namespace lagoa {
namespace {

namespace fs = std::filesystem;

class FileFaultsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tmp = std::getenv("LAGOA_TEST_TMPDIR");
    dir_ = fs::path(tmp != nullptr ? tmp : "/tmp") / ("file_faults_" + std::to_string(::getpid()) + "_" +
                                                      ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    ASSERT_TRUE(SetFileFaults("").ok());
    fs::remove_all(dir_);
  }

  fs::path dir_;
};

std::string Slurp(const fs::path& path) {
  Result<std::string> contents = ReadWholeFile(path, 1 << 20);
  return contents.ok() ? *contents : "<" + contents.status().ToString() + ">";
}

TEST_F(FileFaultsTest, RefusesRulesThatDoNotParseNamingTheRuleAndKey) {
  const struct {
    const char* rules;
    const char* expected;
  } cases[] = {
      {"op=sync", "no do="},
      {"op=fsync,do=EIO", "op \"fsync\": expected one of open, write, sync"},
      {"op=sync,do=EPERM", "do \"EPERM\": expected EIO, ENOSPC"},
      {"op=sync,nth=0,do=EIO", "nth \"0\": expected a whole number from 1"},
      {"op=sync,times=-1,do=EIO", "times \"-1\""},
      {"op=sync,do=short", "do=short applies to op=write only"},
      {"op=sync,when=now,do=EIO", "unknown key \"when\""},
      {"op=sync,do=EIO;do", "\"do\": expected key=value"},
  };
  for (const auto& c : cases) {
    Status s = SetFileFaults(c.rules);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << c.rules;
    EXPECT_NE(s.message().find(c.expected), std::string::npos) << c.rules << " -> " << s.message();
  }
  ASSERT_TRUE(SetFileFaults("op=sync,nth=2,times=0,do=ENOSPC,path=*/x;op=any,do=crash,path=/nowhere/*").ok());
}

TEST_F(FileFaultsTest, FailsTheNthMatchingCallForTimesCallsWithItsErrno) {
  const fs::path file = dir_ / "a";
  ASSERT_TRUE(SetFileFaults("op=rename,nth=2,times=2,do=ENOSPC,path=*/b[0-9]").ok());
  ASSERT_TRUE(WriteFileAtomically(dir_ / "b1", "one").ok());  // rename #1 of */b*
  Status second = WriteFileAtomically(dir_ / "b2", "two");
  EXPECT_EQ(second.code(), StatusCode::kDiskFull);
  EXPECT_NE(second.message().find("rename " + (dir_ / "b2.tmp").string()), std::string::npos) << second.message();
  EXPECT_NE(second.message().find("No space left on device"), std::string::npos) << second.message();
  EXPECT_FALSE(fs::exists(dir_ / "b2")) << "a failed rename published the file";
  EXPECT_FALSE(fs::exists(dir_ / "b2.tmp")) << "a failed atomic write left its temporary file";
  EXPECT_FALSE(WriteFileAtomically(dir_ / "b3", "three").ok());  // #3: still within times=2
  EXPECT_TRUE(WriteFileAtomically(file, "other path").ok()) << "the glob matched a path it does not name";
  EXPECT_EQ(FileFaultsHit(), 2u);
  EXPECT_TRUE(WriteFileAtomically(dir_ / "b4", "four").ok());  // #4: past nth + times
  EXPECT_EQ(FileFaultsHit(), 2u);
  EXPECT_EQ(Slurp(dir_ / "b4"), "four");
}

TEST_F(FileFaultsTest, SyncOpenLinkAndTruncateFailWithTheErrnoAndThePath) {
  const fs::path file = dir_ / "f";
  ASSERT_TRUE(SetFileFaults("op=open,do=EMFILE;op=sync,do=EIO;op=link,do=EROFS;op=truncate,do=EIO").ok());
  Result<int> refused = OpenFile(file, O_WRONLY | O_CREAT);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("create " + file.string()), std::string::npos);
  EXPECT_FALSE(fs::exists(file));

  Result<int> fd = OpenFile(file, O_WRONLY | O_CREAT);  // the rule hit once only
  ASSERT_TRUE(fd.ok()) << fd.status().ToString();
  Status synced = SyncFile(*fd, file);
  EXPECT_NE(synced.message().find("fdatasync " + file.string() + ": Input/output error"), std::string::npos)
      << synced.ToString();
  EXPECT_NE(TruncateFile(*fd, 0, file).message().find("truncate " + file.string()), std::string::npos);
  ::close(*fd);
  Status linked = LinkFile(file, dir_ / "g");
  EXPECT_NE(linked.message().find("Read-only file system"), std::string::npos) << linked.ToString();
  EXPECT_FALSE(fs::exists(dir_ / "g"));
  EXPECT_EQ(LinkFile(file, dir_ / "g").code(), StatusCode::kOk);
  EXPECT_EQ(LinkFile(file, dir_ / "g").code(), StatusCode::kAlreadyExists);
}

TEST_F(FileFaultsTest, ShortWritesStillWriteEveryByte) {
  ASSERT_TRUE(SetFileFaults("op=write,times=0,do=short").ok());
  std::string contents(10'000, '\0');
  for (size_t i = 0; i < contents.size(); ++i) contents[i] = static_cast<char>('a' + i % 26);
  ASSERT_TRUE(WriteFileAtomically(dir_ / "long", contents).ok());
  EXPECT_EQ(Slurp(dir_ / "long"), contents);
  EXPECT_GE(FileFaultsHit(), 14u) << "10,000 bytes halved each call take 14 writes";
}

TEST_F(FileFaultsTest, TracesEveryOperationWhenAsked) {
  const fs::path trace = dir_ / "trace";
  ASSERT_EQ(::setenv("LAGOA_FAULT_TRACE", trace.c_str(), 1), 0);
  Status set = SetFileFaultsFromEnvironment();
  ::unsetenv("LAGOA_FAULT_TRACE");
  ASSERT_TRUE(set.ok()) << set.ToString();
  ASSERT_TRUE(WriteFileAtomically(dir_ / "t", "x").ok());
  ASSERT_TRUE(SetFileFaultsFromEnvironment().ok());  // unset: the trace stops
  ASSERT_TRUE(WriteFileAtomically(dir_ / "u", "y").ok());
  const std::string tmp = (dir_ / "t.tmp").string();
  EXPECT_EQ(Slurp(trace), "open " + tmp + "\nwrite " + tmp + "\nsync " + tmp + "\nrename " + (dir_ / "t").string() +
                              "\nsync " + dir_.string() + "\n");
}

using FileFaultsDeathTest = FileFaultsTest;

TEST_F(FileFaultsDeathTest, CrashesBeforeOrAfterTheOperation) {
  EXPECT_EXIT(
      {
        if (!SetFileFaults("op=rename,do=crash").ok()) std::exit(3);
        (void)WriteFileAtomically(dir_ / "before", "x");
        std::exit(0);
      },
      ::testing::KilledBySignal(SIGKILL), "crashing before rename .*before");
  EXPECT_TRUE(fs::exists(dir_ / "before.tmp")) << "the crash came before the temporary file was written";
  EXPECT_FALSE(fs::exists(dir_ / "before"));

  EXPECT_EXIT(
      {
        if (!SetFileFaults("op=rename,do=crash-after").ok()) std::exit(3);
        (void)WriteFileAtomically(dir_ / "after", "x");
        std::exit(0);
      },
      ::testing::KilledBySignal(SIGKILL), "crashing after rename .*after");
  EXPECT_EQ(Slurp(dir_ / "after"), "x");
}

}  // namespace
}  // namespace lagoa

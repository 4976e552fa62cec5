// RaiseOpenFilesLimit on the test process's real limit (restored afterwards).
#include "base/process_limits.h"

#include <gtest/gtest.h>
#include <sys/resource.h>

#include <algorithm>

namespace lagoa {
namespace {

class OpenFilesLimitTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &saved_), 0); }
  void TearDown() override { ::setrlimit(RLIMIT_NOFILE, &saved_); }

  static rlim_t Soft() {
    rlimit now{};
    ::getrlimit(RLIMIT_NOFILE, &now);
    return now.rlim_cur;
  }

  rlimit saved_{};
};

TEST_F(OpenFilesLimitTest, RaisesTheSoftLimitUpToTheHardOneAndNeverLowersIt) {
  ASSERT_NE(saved_.rlim_max, RLIM_INFINITY);
  ASSERT_GE(saved_.rlim_max, 512u) << "the hard limit is too low to test with";
  rlimit lowered = saved_;
  lowered.rlim_cur = 256;
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &lowered), 0);

  auto raised = RaiseOpenFilesLimit(400);
  ASSERT_TRUE(raised.ok()) << raised.status().ToString();
  EXPECT_EQ(*raised, 400u);
  EXPECT_EQ(Soft(), 400u);

  raised = RaiseOpenFilesLimit(300);  // lower than now: unchanged
  ASSERT_TRUE(raised.ok());
  EXPECT_EQ(*raised, 400u);
  EXPECT_EQ(Soft(), 400u);

  raised = RaiseOpenFilesLimit(static_cast<uint64_t>(saved_.rlim_max) + 1000);  // past the hard limit
  ASSERT_TRUE(raised.ok());
  EXPECT_EQ(*raised, static_cast<uint64_t>(saved_.rlim_max));
  EXPECT_EQ(Soft(), saved_.rlim_max);
}

}  // namespace
}  // namespace lagoa

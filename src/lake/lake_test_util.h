// Helpers shared by the lake module's tests: a fresh per-test directory and the location of the
// golden Delta tables. Test code only; used from the test's own thread.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

namespace lagoa::lake::testing_util {

// An empty directory for the running test under $LAGOA_TEST_TMPDIR (or the system's temp dir),
// removed again when the object is destroyed.
class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("LAGOA_TEST_TMPDIR");
    const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = std::filesystem::path(base != nullptr ? base : std::filesystem::temp_directory_path().string()) /
            (std::string("lake-") + info->test_suite_name() + "." + info->name());
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// The golden tables' directory: $LAGOA_TESTDATA_DIR/delta-golden when that variable is set, else
// the directory CMake compiled in (../shared/testdata beside the repository). Missing test data
// is a failure, never a silent skip.
inline std::filesystem::path GoldenTablesDir() {
  if (const char* dir = std::getenv("LAGOA_TESTDATA_DIR"); dir != nullptr && *dir != '\0') {
    return std::filesystem::path(dir) / "delta-golden";
  }
#ifdef LAGOA_TESTDATA_DIR
  return std::filesystem::path(LAGOA_TESTDATA_DIR) / "delta-golden";
#else
  return {};
#endif
}

}  // namespace lagoa::lake::testing_util

// ReadHeapUsage and TrimHeap on this process's real glibc heap. Sanitizer builds replace malloc
// with their own allocator, which glibc's statistics and trim do not see: there the tests skip.
#include "base/heap.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

namespace lagoa {
namespace {

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kGlibcMalloc = false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || __has_feature(memory_sanitizer)
constexpr bool kGlibcMalloc = false;
#else
constexpr bool kGlibcMalloc = true;
#endif
#else
constexpr bool kGlibcMalloc = true;
#endif

uint64_t ResidentBytes() {
  std::FILE* statm = std::fopen("/proc/self/statm", "r");
  unsigned long pages = 0, resident = 0;
  EXPECT_NE(statm, nullptr);
  if (statm == nullptr) return 0;
  EXPECT_EQ(std::fscanf(statm, "%lu %lu", &pages, &resident), 2);
  std::fclose(statm);
  return uint64_t{resident} * static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
}

// 200 MiB in small blocks, each written, all freed but the last: the freed memory lies below a
// live block, where glibc does not give it back on its own.
TEST(HeapTest, FreedMemoryBelowALiveBlockStaysResidentUntilTrimmed) {
  if (!kGlibcMalloc) GTEST_SKIP() << "a sanitizer's allocator replaces glibc malloc in this build";
  constexpr size_t kBlockBytes = 2048;
  constexpr size_t kBlocks = (200u << 20) / kBlockBytes;
  const HeapUsage before = ReadHeapUsage();
  std::vector<std::unique_ptr<char[]>> blocks;
  blocks.reserve(kBlocks);
  for (size_t i = 0; i < kBlocks; ++i) {
    blocks.emplace_back(new char[kBlockBytes]);
    std::memset(blocks.back().get(), static_cast<int>(i), kBlockBytes);
  }
  const HeapUsage full = ReadHeapUsage();
  EXPECT_GE(full.in_use_bytes, before.in_use_bytes + (190u << 20));

  for (size_t i = 0; i + 1 < kBlocks; ++i) blocks[i].reset();
  const HeapUsage freed = ReadHeapUsage();
  EXPECT_GE(freed.free_bytes, 190u << 20);
  EXPECT_LE(freed.in_use_bytes, full.in_use_bytes - (190u << 20));

  const uint64_t resident_before_trim = ResidentBytes();
  EXPECT_TRUE(TrimHeap());
  const uint64_t resident_after_trim = ResidentBytes();
  EXPECT_GE(resident_before_trim, resident_after_trim + (150u << 20))
      << "resident before the trim " << resident_before_trim << ", after " << resident_after_trim;
}

}  // namespace
}  // namespace lagoa

#include "base/heap.h"

#include <malloc.h>

namespace lagoa {

HeapUsage ReadHeapUsage() {
  const struct mallinfo2 info = mallinfo2();
  return HeapUsage{.in_use_bytes = info.uordblks + info.hblkhd, .free_bytes = info.fordblks};
}

bool TrimHeap() { return malloc_trim(0) != 0; }

}  // namespace lagoa

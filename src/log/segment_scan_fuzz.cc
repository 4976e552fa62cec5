// Fuzz target: ScanSegmentBytes over any bytes (what recovery and `lagoa log verify|repair` read
// from a damaged disk). It must never crash, and what it reports must describe the file: runs
// and damaged stretches in file order, without overlap, covering every byte; runs of consecutive
// offsets; a torn tail only at the end.
#include <cstddef>
#include <cstdint>
#include <span>

#include "log/segment_scan.h"

namespace {

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace lagoa;
  const auto* bytes = reinterpret_cast<const std::byte*>(data);
  const log::SegmentLayout layout = log::ScanSegmentBytes(std::span(bytes, size), Offset(0));
  Check(layout.file_bytes == size);
  Check(layout.torn_from <= layout.damage.size());
  Check(layout.kept_bytes() <= size);
  // Walk runs and damage in file order: each starts where the one before ended.
  uint64_t at = 0;
  Offset next(0);
  size_t r = 0, d = 0;
  while (r < layout.runs.size() || d < layout.damage.size()) {
    const bool run_first = d == layout.damage.size() ||
                           (r < layout.runs.size() && layout.runs[r].begin_byte < layout.damage[d].begin_byte);
    if (run_first) {
      const log::GoodRun& run = layout.runs[r++];
      Check(run.begin_byte == at && run.end_byte > run.begin_byte && run.first_offset == next);
      Check(run.end_offset > run.first_offset && !run.index.empty() && run.index.front().first == run.first_offset);
      at = run.end_byte;
      next = run.end_offset;
    } else {
      const log::DamagedBytes& damage = layout.damage[d++];
      Check(damage.begin_byte == at && damage.end_byte > damage.begin_byte && damage.first_offset == next);
      Check(!damage.end_offset || *damage.end_offset >= damage.first_offset);
      Check(damage.end_offset.has_value() == (damage.end_byte < size));
      at = damage.end_byte;
      if (damage.end_offset) next = *damage.end_offset;
    }
  }
  Check(at == size);
  return 0;
}

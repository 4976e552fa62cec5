// Synthetic clickstream events for the ingest benchmark: one JSON object of about 200 bytes per
// event, with the fields of kEventSchema. Generated once before a run starts (never while timing),
// deterministically from a seed so two runs send the same bytes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace lagoa::bench {

// The lagoa stream definition matching MakeEvents' objects.
inline constexpr std::string_view kEventSchema =
    "user_id BIGINT, session VARCHAR, url VARCHAR, referrer VARCHAR, country VARCHAR, "
    "duration_ms INTEGER, price DOUBLE, ts TIMESTAMPTZ";

// `count` events, each a single-line JSON object without a trailing newline.
std::vector<std::string> MakeEvents(size_t count, uint64_t seed);

}  // namespace lagoa::bench

#include "events.h"

#include <fmt/format.h>

#include <array>
#include <ctime>
#include <random>

namespace lagoa::bench {
namespace {

constexpr std::array<std::string_view, 8> kPaths = {"/",         "/p/electronics/",    "/p/garden/",  "/cart",
                                                    "/checkout", "/search?q=shoes&p=", "/c/books?p=", "/orders/"};
constexpr std::array<std::string_view, 8> kReferrers = {
    "https://www.google.com/",   "https://www.bing.com/",   "https://news.ycombinator.com/", "https://t.co/x7Kd92",
    "https://www.facebook.com/", "https://duckduckgo.com/", "https://mail.example.org/",     ""};
constexpr std::array<std::string_view, 16> kCountries = {"DE", "US", "FR", "GB", "BR", "IN", "JP", "NL",
                                                         "PT", "ES", "IT", "CA", "AU", "SE", "PL", "MX"};
// 2026-11-25T00:00:00Z: events are spread over the following hour.
constexpr int64_t kFirstTimestampSeconds = 1795564800;

void AppendTimestamp(std::string& out, int64_t micros) {
  const std::time_t seconds = static_cast<std::time_t>(micros / 1'000'000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  fmt::format_to(std::back_inserter(out), "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, micros % 1'000'000);
}

}  // namespace

std::vector<std::string> MakeEvents(size_t count, uint64_t seed) {
  std::mt19937_64 rng(seed);
  auto below = [&rng](uint64_t n) { return rng() % n; };
  std::vector<std::string> events;
  events.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    std::string e;
    e.reserve(256);
    const auto path = kPaths[below(kPaths.size())];
    fmt::format_to(std::back_inserter(e), R"({{"user_id":{},"session":"{:016x}","url":"https://shop.example.com{})",
                   1 + below(50'000'000), rng(), path);
    if (path.back() == '-' || path.back() == '=' || path.back() == '/')
      fmt::format_to(std::back_inserter(e), "{}", below(100'000));
    fmt::format_to(std::back_inserter(e),
                   R"(","referrer":"{}","country":"{}","duration_ms":{},"price":{}.{:02},"ts":")",
                   kReferrers[below(kReferrers.size())], kCountries[below(kCountries.size())], below(120'000),
                   below(1000), below(100));
    AppendTimestamp(
        e, kFirstTimestampSeconds * 1'000'000 + static_cast<int64_t>(i) * 1000 + static_cast<int64_t>(below(1000)));
    e += "\"}";
    events.push_back(std::move(e));
  }
  return events;
}

}  // namespace lagoa::bench

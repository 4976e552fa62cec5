// lagoa_query_datagen: the query benchmark's synthetic web events (bench/query/README.md), written
// to stdout as NDJSON (for `lagoa ingest`) or CSV without a header (for PostgreSQL's COPY).
//
// Every value derives from the event id alone (a splitmix64 hash of it), so any range of ids can be
// generated on its own — shards in parallel — and the NDJSON and the CSV of a range hold the same
// rows. Columns (kSchema):
//   event_id BIGINT       the id, 1..N
//   user_id BIGINT        1..100,000, skewed (a quarter of the events come from 1 % of the users)
//   session_id BIGINT     user_id * 1,000 + a session number 0..99
//   event_type VARCHAR    page_view 70 %, click 20 %, add_to_cart 6 %, purchase 3 %, signup 1 %
//   country VARCHAR       one of 40 ISO codes, the first few much more common
//   device VARCHAR        desktop / mobile / tablet
//   url VARCHAR           /product/<0..9999>, /category/<0..99>, /search?q=<0..999>, /, /cart
//   amount DOUBLE         0 except for purchases: 1.00 .. 500.00 (two decimals, exact in text)
//   duration_ms INTEGER   0 .. 60,000
//   ts TIMESTAMPTZ        2026-10-01 + event_id × (30 days / N), plus up to 1 s of jitter
//
// Usage: lagoa_query_datagen --events N [--from A --to B] [--format ndjson|csv]
//   writes the ids A..B-1 (default 1..N+1); N sets the time spread, so shards of one N agree.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

namespace {

constexpr std::string_view kSchema =
    "event_id BIGINT NOT NULL, user_id BIGINT, session_id BIGINT, event_type VARCHAR, country VARCHAR, "
    "device VARCHAR, url VARCHAR, amount DOUBLE, duration_ms INTEGER, ts TIMESTAMPTZ";

constexpr const char* kCountries[] = {"US", "DE", "GB", "FR", "BR", "IN", "JP", "CA", "ES", "IT",
                                      "NL", "SE", "PL", "MX", "AU", "KR", "PT", "AR", "CH", "AT",
                                      "BE", "DK", "FI", "NO", "IE", "CZ", "RO", "HU", "GR", "TR",
                                      "ZA", "NG", "EG", "ID", "TH", "VN", "PH", "CL", "CO", "NZ"};
constexpr int kCountryCount = 40;
constexpr const char* kDevices[] = {"desktop", "mobile", "tablet"};
constexpr int64_t kStartUnixSeconds = 1790812800;  // 2026-10-01T00:00:00Z
constexpr int64_t kSpanMicros = 30LL * 86400 * 1000000;

uint64_t Mix(uint64_t x) {  // splitmix64
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// Civil date of days since 1970-01-01 (Howard Hinnant's algorithm).
void CivilFromDays(int64_t z, int* y, unsigned* m, unsigned* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = static_cast<int>(yoe + era * 400 + (*m <= 2));
}

struct Event {
  int64_t event_id, user_id, session_id;
  const char* event_type;
  const char* country;
  const char* device;
  char url[32];
  int64_t amount_cents;
  int duration_ms;
  char ts[40];
};

void MakeEvent(int64_t id, int64_t events, Event* e) {
  const uint64_t h1 = Mix(static_cast<uint64_t>(id));
  const uint64_t h2 = Mix(h1);
  const uint64_t h3 = Mix(h2);
  e->event_id = id;
  e->user_id =
      (h1 % 4 == 0) ? 1 + static_cast<int64_t>((h1 >> 8) % 1000) : 1 + static_cast<int64_t>((h1 >> 8) % 100000);
  e->session_id = e->user_id * 1000 + static_cast<int64_t>((h1 >> 40) % 100);
  const unsigned kind = static_cast<unsigned>(h2 % 100);
  e->event_type = kind < 70   ? "page_view"
                  : kind < 90 ? "click"
                  : kind < 96 ? "add_to_cart"
                  : kind < 99 ? "purchase"
                              : "signup";
  const unsigned c = static_cast<unsigned>((h2 >> 8) % 1000);
  e->country = kCountries[c < 300 ? 0 : c < 400 ? 1 : c < 480 ? 2 : c < 540 ? 3 : 4 + (c % (kCountryCount - 4))];
  e->device = kDevices[(h2 >> 20) % 10 < 5 ? 1 : (h2 >> 20) % 10 < 9 ? 0 : 2];
  const unsigned u = static_cast<unsigned>((h3 >> 4) % 100);
  if (u < 55) {
    std::snprintf(e->url, sizeof e->url, "/product/%u", static_cast<unsigned>((h3 >> 12) % 10000));
  } else if (u < 75) {
    std::snprintf(e->url, sizeof e->url, "/category/%u", static_cast<unsigned>((h3 >> 12) % 100));
  } else if (u < 90) {
    std::snprintf(e->url, sizeof e->url, "/search?q=%u", static_cast<unsigned>((h3 >> 12) % 1000));
  } else {
    std::snprintf(e->url, sizeof e->url, "%s", u < 96 ? "/" : "/cart");
  }
  e->amount_cents = kind >= 96 && kind < 99 ? 100 + static_cast<int64_t>((h3 >> 32) % 49901) : 0;
  e->duration_ms = static_cast<int>((h3 >> 48) % 60001);
  const int64_t micros = kSpanMicros / events * (id - 1) + static_cast<int64_t>((h1 >> 20) % 1000000);
  const int64_t seconds = kStartUnixSeconds + micros / 1000000;
  int y;
  unsigned mo, d;
  CivilFromDays(seconds / 86400, &y, &mo, &d);
  const int64_t sod = seconds % 86400;
  std::snprintf(e->ts, sizeof e->ts, "%04d-%02u-%02uT%02d:%02d:%02d.%06dZ", y, mo, d, static_cast<int>(sod / 3600),
                static_cast<int>(sod / 60 % 60), static_cast<int>(sod % 60), static_cast<int>(micros % 1000000));
}

int Usage() {
  std::fprintf(stderr,
               "usage: lagoa_query_datagen --events N [--from A --to B] [--format ndjson|csv]\n"
               "       lagoa_query_datagen schema\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  int64_t events = 0, from = -1, to = -1;
  bool csv = false;
  if (argc == 2 && std::strcmp(argv[1], "schema") == 0) {
    std::printf("%.*s\n", static_cast<int>(kSchema.size()), kSchema.data());
    return 0;
  }
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view flag = argv[i];
    const char* value = argv[i + 1];
    if (flag == "--events") {
      events = std::atoll(value);
    } else if (flag == "--from") {
      from = std::atoll(value);
    } else if (flag == "--to") {
      to = std::atoll(value);
    } else if (flag == "--format") {
      csv = std::strcmp(value, "csv") == 0;
      if (!csv && std::strcmp(value, "ndjson") != 0) return Usage();
    } else {
      return Usage();
    }
  }
  if (argc % 2 == 0 || events <= 0) return Usage();
  if (from < 0) from = 1;
  if (to < 0) to = events + 1;
  static char buffer[1 << 20];
  std::setvbuf(stdout, buffer, _IOFBF, sizeof buffer);
  Event e;
  for (int64_t id = from; id < to; ++id) {
    MakeEvent(id, events, &e);
    const long long cents = static_cast<long long>(e.amount_cents);
    if (csv) {
      std::printf("%lld,%lld,%lld,%s,%s,%s,%s,%lld.%02lld,%d,%s\n", static_cast<long long>(e.event_id),
                  static_cast<long long>(e.user_id), static_cast<long long>(e.session_id), e.event_type, e.country,
                  e.device, e.url, cents / 100, cents % 100, e.duration_ms, e.ts);
    } else {
      std::printf(
          "{\"event_id\":%lld,\"user_id\":%lld,\"session_id\":%lld,\"event_type\":\"%s\",\"country\":\"%s\","
          "\"device\":\"%s\",\"url\":\"%s\",\"amount\":%lld.%02lld,\"duration_ms\":%d,\"ts\":\"%s\"}\n",
          static_cast<long long>(e.event_id), static_cast<long long>(e.user_id), static_cast<long long>(e.session_id),
          e.event_type, e.country, e.device, e.url, cents / 100, cents % 100, e.duration_ms, e.ts);
    }
  }
  return std::fflush(stdout) == 0 ? 0 : 1;
}

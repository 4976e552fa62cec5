// ConnectionTable: which HTTP connections may be open (README.md, "Limits"). Every accepted
// connection is admitted, or makes room by evicting a connection that is waiting for a request,
// or is refused; a connection serving a request is never evicted. Waiting connections are
// evicted in order: those that never sent a complete request head first (a flood of idle
// sockets evicts itself), then those idle between keep-alive requests, each oldest first.
//
// Two limits: `per_ip_max` connections from one address (at it, the address's own oldest waiting
// connection makes room) and `total_max` in all (the oldest waiting connection of any address).
// Pure bookkeeping: the server closes what it is told to evict.
// Lifecycle: owned by HttpServer::Impl for its whole life. Threads: none of its own and not
// thread-safe; the server calls it under one mutex from its I/O threads.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>

namespace lagoa::http {

class ConnectionTable {
 public:
  using Id = uint64_t;
  struct Limits {
    uint32_t total_max = 10000;
    uint32_t per_ip_max = 256;
  };
  enum class Verdict : uint8_t { kAdmitted, kRefusedPerIp, kRefusedTotal };
  struct Admission {
    Verdict verdict = Verdict::kAdmitted;
    Id id = 0;                  // the new connection's, when admitted
    std::optional<Id> evicted;  // a waiting connection to close now: it no longer counts
  };

  explicit ConnectionTable(Limits limits) : limits_(limits) {}

  // A new connection from `ip`; it counts as waiting for its first request.
  Admission Admit(std::string_view ip);
  // The connection has read a request head and serves it; false when it was evicted meanwhile
  // (the caller closes it).
  bool StartRequest(Id id);
  // The connection answered and waits for its next request (keep-alive).
  void FinishRequest(Id id);
  // The connection closed; nothing for one already evicted.
  void Remove(Id id);
  // Evicts the oldest waiting connection, if any, and names it (the server is out of descriptors).
  std::optional<Id> EvictOldestWaiting();

  size_t size() const { return entries_.size(); }
  uint32_t CountOf(std::string_view ip) const;

 private:
  enum class Rank : uint8_t { kNeverServed = 0, kIdle = 1 };
  // Waiting connections sort by rank, then by when they began waiting.
  struct WaitKey {
    Rank rank;
    uint64_t since;
    Id id;
    auto operator<=>(const WaitKey&) const = default;
  };
  struct Entry {
    std::string ip;
    std::optional<WaitKey> waiting;
  };
  struct Address {
    uint32_t count = 0;
    std::set<WaitKey> waiting;
  };

  void Wait(Id id, Entry& entry, Rank rank);
  void StopWaiting(Entry& entry);

  const Limits limits_;
  Id next_id_ = 1;
  uint64_t next_since_ = 0;
  std::unordered_map<Id, Entry> entries_;
  std::unordered_map<std::string, Address> addresses_;
  std::set<WaitKey> waiting_;  // over all addresses
};

}  // namespace lagoa::http

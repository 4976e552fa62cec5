#include "http/http_connections.h"

#include "base/assert.h"

namespace lagoa::http {

ConnectionTable::Admission ConnectionTable::Admit(std::string_view ip) {
  Admission admission;
  auto address = addresses_.find(std::string(ip));
  const uint32_t from_ip = address == addresses_.end() ? 0 : address->second.count;
  if (from_ip >= limits_.per_ip_max) {
    if (address->second.waiting.empty()) {
      admission.verdict = Verdict::kRefusedPerIp;
      return admission;
    }
    admission.evicted = address->second.waiting.begin()->id;
  } else if (entries_.size() >= limits_.total_max) {
    if (waiting_.empty()) {
      admission.verdict = Verdict::kRefusedTotal;
      return admission;
    }
    admission.evicted = waiting_.begin()->id;
  }
  if (admission.evicted) Remove(*admission.evicted);
  admission.id = next_id_++;
  Entry& entry = entries_[admission.id];
  entry.ip = ip;
  ++addresses_[entry.ip].count;
  Wait(admission.id, entry, Rank::kNeverServed);
  return admission;
}

bool ConnectionTable::StartRequest(Id id) {
  auto it = entries_.find(id);
  if (it == entries_.end()) return false;
  StopWaiting(it->second);
  return true;
}

void ConnectionTable::FinishRequest(Id id) {
  auto it = entries_.find(id);
  if (it != entries_.end()) Wait(id, it->second, Rank::kIdle);
}

void ConnectionTable::Remove(Id id) {
  auto it = entries_.find(id);
  if (it == entries_.end()) return;
  StopWaiting(it->second);
  auto address = addresses_.find(it->second.ip);
  LAGOA_ASSERT(address != addresses_.end() && address->second.count > 0);
  if (--address->second.count == 0) addresses_.erase(address);
  entries_.erase(it);
}

std::optional<ConnectionTable::Id> ConnectionTable::EvictOldestWaiting() {
  if (waiting_.empty()) return std::nullopt;
  const Id id = waiting_.begin()->id;
  Remove(id);
  return id;
}

uint32_t ConnectionTable::CountOf(std::string_view ip) const {
  auto address = addresses_.find(std::string(ip));
  return address == addresses_.end() ? 0 : address->second.count;
}

void ConnectionTable::Wait(Id id, Entry& entry, Rank rank) {
  StopWaiting(entry);
  entry.waiting = WaitKey{rank, next_since_++, id};
  waiting_.insert(*entry.waiting);
  addresses_[entry.ip].waiting.insert(*entry.waiting);
}

void ConnectionTable::StopWaiting(Entry& entry) {
  if (!entry.waiting) return;
  waiting_.erase(*entry.waiting);
  addresses_[entry.ip].waiting.erase(*entry.waiting);
  entry.waiting.reset();
}

}  // namespace lagoa::http

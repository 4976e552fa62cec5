// Request bodies held against the ingest share of the memory budget (`ingest_memory_bytes_max`),
// reserved as their bytes arrive, never from what a Content-Length header claims: a client that
// announces 16 MiB and sends one byte holds a few KiB. Internal to src/http (it brings Beast's
// headers): only http_server.cc and its test include it.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <string>

#include <boost/beast/core/buffers_range.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/optional.hpp>
#include <boost/system/error_code.hpp>

#include "base/metrics.h"

namespace lagoa::http {

// simdjson reads up to 64 bytes past a document; bodies keep that much spare capacity so the
// ingest path can parse them in place.
inline constexpr size_t kBodyPaddingBytes = 64;
// A body's first reservation; it then doubles (to at most its Content-Length or max_body_bytes),
// so what it holds is at most twice what arrived.
inline constexpr uint64_t kBodyFirstStepBytes = 16 * 1024;

// BodyBudget: the bytes all connections' bodies may hold at once.
// Lifecycle: owned by the server, outlives every BodyAccount. Threads: any (atomic).
class BodyBudget {
 public:
  explicit BodyBudget(uint64_t bytes_max) : bytes_max_(bytes_max) {}

  // Reserves `bytes` if `spare_bytes` more would still fit after them.
  bool TryReserve(uint64_t bytes, uint64_t spare_bytes = 0) {
    uint64_t current = reserved_.load();
    while (current + bytes + spare_bytes <= bytes_max_) {
      if (reserved_.compare_exchange_weak(current, current + bytes)) {
        gauge_->Add(static_cast<int64_t>(bytes));
        return true;
      }
    }
    return false;
  }
  void Release(uint64_t bytes) {
    reserved_.fetch_sub(bytes);
    gauge_->Add(-static_cast<int64_t>(bytes));
  }
  uint64_t bytes_max() const { return bytes_max_; }

 private:
  const uint64_t bytes_max_;
  std::atomic<uint64_t> reserved_{0};
  // The ingest share of the memory budget (src/server/README.md, "Memory budget").
  Gauge* gauge_ = MetricsRegistry::Global().GetGauge("lagoa_memory_used_bytes",
                                                     "Memory a share of the budget holds now.", {{"share", "ingest"}});
};

// BodyAccount: what one connection holds of the budget (its body and its enlarged read buffer),
// released at once when its answer is written or the connection closes.
// Lifecycle: a member of the connection. Threads: the connection's strand.
class BodyAccount {
 public:
  explicit BodyAccount(BodyBudget* budget) : budget_(budget) {}
  ~BodyAccount() { Release(); }
  BodyAccount(const BodyAccount&) = delete;
  BodyAccount& operator=(const BodyAccount&) = delete;

  bool TryAdd(uint64_t bytes, uint64_t spare_bytes = 0) {
    if (!budget_->TryReserve(bytes, spare_bytes)) return false;
    held_bytes_ += bytes;
    return true;
  }
  void Release() {
    if (held_bytes_ > 0) budget_->Release(held_bytes_);
    held_bytes_ = 0;
  }
  uint64_t held_bytes() const { return held_bytes_; }

 private:
  BodyBudget* const budget_;
  uint64_t held_bytes_ = 0;
};

// A Beast body type: a std::string that grows as bytes arrive, each growth reserved from the
// connection's BodyAccount first. When the budget is spent the read fails with
// errc::not_enough_memory (the server answers 429).
struct BudgetedBody {
  struct value_type {
    std::string bytes;
    BodyAccount* account = nullptr;  // set by the connection before the body is read
    uint64_t limit_bytes = 0;        // max_body_bytes: the bound of a body without Content-Length
  };

  class reader {
   public:
    template <bool isRequest, class Fields>
    reader(boost::beast::http::header<isRequest, Fields>&, value_type& body) : body_(body) {}

    void init(const boost::optional<uint64_t>& length, boost::system::error_code& ec) {
      bound_bytes_ = length ? std::min(*length, body_.limit_bytes) : body_.limit_bytes;
      ec = {};
    }

    template <class ConstBufferSequence>
    size_t put(const ConstBufferSequence& buffers, boost::system::error_code& ec) {
      const size_t extra = boost::asio::buffer_size(buffers);
      const size_t size = body_.bytes.size();
      if (size + extra + kBodyPaddingBytes > body_.bytes.capacity() && !Grow(size + extra)) {
        ec = boost::system::errc::make_error_code(boost::system::errc::not_enough_memory);
        return 0;
      }
      body_.bytes.resize(size + extra);
      char* to = body_.bytes.data() + size;
      for (auto piece : boost::beast::buffers_range_ref(buffers)) {
        std::copy_n(static_cast<const char*>(piece.data()), piece.size(), to);
        to += piece.size();
      }
      ec = {};
      return extra;
    }

    void finish(boost::system::error_code& ec) { ec = {}; }

   private:
    bool Grow(uint64_t needed_bytes) {
      const uint64_t grown =
          std::max(needed_bytes, std::min(std::max(kBodyFirstStepBytes, 2 * counted_bytes_), bound_bytes_));
      if (grown > counted_bytes_ && !body_.account->TryAdd(grown - counted_bytes_)) return false;
      counted_bytes_ = std::max(counted_bytes_, grown);
      body_.bytes.reserve(grown + kBodyPaddingBytes);
      return true;
    }

    value_type& body_;
    uint64_t bound_bytes_ = 0;
    uint64_t counted_bytes_ = 0;  // reserved for this body (its capacity, padding aside)
  };
};

}  // namespace lagoa::http

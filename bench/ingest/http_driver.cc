#include "http_driver.h"

#include <fmt/format.h>

#include <algorithm>
#include <boost/asio/connect.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <cstring>
#include <utility>

#include "http_reply.h"
#include "reconnecting_connection.h"

namespace lagoa::bench {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;

constexpr size_t kReadChunkBytes = size_t{64} * 1024;
constexpr size_t kReadBufferBytesMax = size_t{16} * 1024 * 1024;

// One keep-alive connection with at most one request in flight. The request is written and the
// reply read concurrently (a server may answer an error before it has read the whole body); the
// request is complete when both are done. A failed or closed connection is reopened after
// kReconnectDelay. Handlers carry the connection's generation so that the handlers of a socket
// that was closed after an error are ignored.
class HttpConnection final : public ReconnectingConnection {
 public:
  HttpConnection(const ConnectionContext& context, tcp::endpoint endpoint, const std::vector<HttpRequest>& pool,
                 Clock::duration send_interval)
      : ReconnectingConnection(context, std::move(endpoint)),
        pool_(pool),
        next_(context.index * 7919),  // connections start at different places in the pool
        send_interval_(send_interval),
        pace_timer_(context.io) {
    read_buffer_.resize(kReadChunkBytes);
  }

  void ResetForConnect() override { read_begin_ = read_end_ = 0; }
  void OnConnected() override { SendNext(); }
  void Stop() override {
    pace_timer_.cancel();
    ReconnectingConnection::Stop();
  }

  // Paced (send_interval_ > 0): a request leaves at most every send_interval_; one that falls
  // behind catches up by at most one interval, so the rate never bursts above twice the pace.
  void SendNext() {
    if (send_interval_ > Clock::duration::zero()) {
      const Clock::time_point now = Clock::now();
      if (next_send_ == Clock::time_point{}) next_send_ = now;
      if (now < next_send_) {
        pace_timer_.expires_at(next_send_);
        pace_timer_.async_wait([this, g = generation_](const error_code& ec) {
          if (!ec && g == generation_) SendNext();
        });
        return;
      }
      next_send_ = std::max(next_send_, now - send_interval_) + send_interval_;
    }
    Send();
  }

  void Send() {
    const Clock::time_point now = Clock::now();
    if (stopping_ || context_.window.Take(1, now) == 0) return Finish();
    current_ = &pool_[next_++ % pool_.size()];
    sent_at_ = now;
    write_done_ = reply_done_ = false;
    asio::async_write(socket_, asio::buffer(current_->wire), [this, g = generation_](const error_code& ec, size_t) {
      if (g != generation_) return;
      if (ec && reply_done_) {
        // The server answered early (413, 429) and closed before reading the whole body: the reply counts.
        reply_.close = true;
      } else if (ec) {
        return Fail(ec, g);
      }
      write_done_ = true;
      MaybeComplete();
    });
    ReadReply();
  }

  void ReadReply() {
    const std::string_view input(read_buffer_.data() + read_begin_, read_end_ - read_begin_);
    switch (ParseHttpReply(input, reply_, chunked_body_)) {
      case ParseOutcome::kComplete:
        reply_done_ = true;
        return MaybeComplete();
      case ParseOutcome::kMalformed:
        ++context_.stats.protocol_errors;
        return RetryLater();
      case ParseOutcome::kNeedMore:
        break;
    }
    if (!MakeRoomToRead()) {
      ++context_.stats.protocol_errors;
      return RetryLater();
    }
    socket_.async_read_some(asio::buffer(read_buffer_.data() + read_end_, read_buffer_.size() - read_end_),
                            [this, g = generation_](const error_code& ec, size_t n) {
                              if (g != generation_) return;
                              if (ec) return Fail(ec, g);
                              read_end_ += n;
                              ReadReply();
                            });
  }

  // Moves unread bytes to the front and grows the buffer when full; false beyond the limit.
  bool MakeRoomToRead() {
    if (read_begin_ > 0) {
      std::memmove(read_buffer_.data(), read_buffer_.data() + read_begin_, read_end_ - read_begin_);
      read_end_ -= read_begin_;
      read_begin_ = 0;
    }
    if (read_buffer_.size() - read_end_ < kReadChunkBytes / 4) {
      if (read_buffer_.size() >= kReadBufferBytesMax) return false;
      read_buffer_.resize(read_buffer_.size() * 2);
    }
    return true;
  }

  void MaybeComplete() {
    if (!write_done_ || !reply_done_) return;
    const Clock::time_point now = Clock::now();
    RunStats& stats = context_.stats;
    if (context_.window.Counts(now)) {
      if (reply_.status == 200) {
        stats.latency.Record(static_cast<uint64_t>(std::chrono::nanoseconds(now - sent_at_).count()));
        ++stats.requests_ok;
        stats.events_sent += current_->events;
        const long long accepted = AcceptedCount(reply_.body);
        if (accepted > 0) stats.events_accepted += static_cast<uint64_t>(accepted);
        stats.body_bytes += current_->body_bytes;
      } else {
        ++stats.not_ok[std::to_string(reply_.status)];
      }
      stats.last_counted = now;
    }
    read_begin_ += reply_.consumed_bytes;
    if (read_begin_ == read_end_) read_begin_ = read_end_ = 0;
    if (reply_.close) {
      error_code ignored;
      socket_.close(ignored);
      if (stopping_ || context_.window.Over(now)) return Finish();
      return Connect();
    }
    SendNext();
  }

  const std::vector<HttpRequest>& pool_;
  size_t next_;
  const Clock::duration send_interval_;
  asio::steady_timer pace_timer_;
  Clock::time_point next_send_{};

  const HttpRequest* current_ = nullptr;
  Clock::time_point sent_at_{};
  bool write_done_ = false;
  bool reply_done_ = false;

  std::vector<char> read_buffer_;
  size_t read_begin_ = 0;
  size_t read_end_ = 0;
  HttpReply reply_;
  std::string chunked_body_;
};

}  // namespace

std::vector<HttpRequest> MakeHttpRequests(const std::vector<std::string>& events, size_t batch_events,
                                          size_t requests_max, const std::string& host_port,
                                          const std::string& stream) {
  const size_t count = std::clamp<size_t>(events.size() / batch_events, 1, requests_max);
  std::vector<HttpRequest> requests(count);
  size_t next_event = 0;
  for (HttpRequest& r : requests) {
    std::string body;
    for (size_t i = 0; i < batch_events; ++i) {
      body += events[next_event++ % events.size()];
      body += '\n';
    }
    r.wire = fmt::format(
        "POST /v1/streams/{}/events HTTP/1.1\r\nHost: {}\r\nContent-Type: application/x-ndjson\r\n"
        "Content-Length: {}\r\n\r\n",
        stream, host_port, body.size());
    r.wire += body;
    r.body_bytes = body.size();
    r.events = batch_events;
  }
  return requests;
}

ConnectionFactory HttpConnectionFactory(const tcp::endpoint& endpoint, const std::vector<HttpRequest>& pool,
                                        double requests_per_s_per_connection) {
  const Clock::duration interval = requests_per_s_per_connection > 0
                                       ? std::chrono::duration_cast<Clock::duration>(
                                             std::chrono::duration<double>(1.0 / requests_per_s_per_connection))
                                       : Clock::duration::zero();
  return [endpoint, &pool, interval](const ConnectionContext& context) -> std::unique_ptr<Connection> {
    return std::make_unique<HttpConnection>(context, endpoint, pool, interval);
  };
}

}  // namespace lagoa::bench

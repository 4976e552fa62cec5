#include "redis_driver.h"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <charconv>
#include <cstring>

#include "reconnecting_connection.h"

namespace lagoa::bench {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;

constexpr size_t kReadBufferBytes = 256 * 1024;

void AppendBulk(std::string& out, std::string_view s) {
  out += '$';
  out += std::to_string(s.size());
  out += "\r\n";
  out += s;
  out += "\r\n";
}

enum class ReplyKind { kNeedMore, kOk, kError, kMalformed };

// Parses one RESP reply at the start of `in`: simple string, error, integer or bulk string (the
// replies XADD can give). `error_word` gets an error's first word ("ERR", "OOM", "MISCONF"...).
ReplyKind ParseReply(std::string_view in, size_t& consumed, std::string_view& error_word) {
  const size_t line_end = in.find("\r\n");
  if (line_end == std::string_view::npos) return in.size() > 64 * 1024 ? ReplyKind::kMalformed : ReplyKind::kNeedMore;
  switch (in[0]) {
    case '+':
    case ':':
      consumed = line_end + 2;
      return ReplyKind::kOk;
    case '-': {
      consumed = line_end + 2;
      const std::string_view text = in.substr(1, line_end - 1);
      error_word = text.substr(0, text.find(' '));
      return ReplyKind::kError;
    }
    case '$': {
      long long length = 0;
      auto [ptr, ec] = std::from_chars(in.data() + 1, in.data() + line_end, length);
      if (ec != std::errc()) return ReplyKind::kMalformed;
      if (length < 0) {  // null bulk string: XADD with NOMKSTREAM only; still a reply
        consumed = line_end + 2;
        return ReplyKind::kOk;
      }
      const size_t total = line_end + 2 + static_cast<size_t>(length) + 2;
      if (in.size() < total) return ReplyKind::kNeedMore;
      consumed = total;
      return ReplyKind::kOk;
    }
    default:
      return ReplyKind::kMalformed;
  }
}

// One connection with up to `pipeline` commands in flight. At most one write is outstanding: when
// replies free slots and no write is running, the next commands are copied into one buffer and
// written together. A read is always outstanding while connected; replies arrive in command order,
// so the send times wait in a FIFO ring. Errors reconnect after kReconnectDelay (the commands in
// flight are lost and not counted). Handlers carry the generation, as in the HTTP driver.
class RedisConnection final : public ReconnectingConnection {
 public:
  RedisConnection(const ConnectionContext& context, tcp::endpoint endpoint, const std::vector<RedisCommand>& pool,
                  size_t pipeline)
      : ReconnectingConnection(context, endpoint),
        pool_(pool),
        next_(context.index * 7919),
        in_flight_(pipeline),
        read_buffer_(kReadBufferBytes) {}

 private:
  struct InFlight {
    Clock::time_point sent_at;
    size_t payload_bytes;
  };

  void ResetForConnect() override {
    read_end_ = 0;
    in_flight_head_ = in_flight_count_ = 0;
    writing_ = false;
  }
  void OnConnected() override {
    Read();
    Pump();
  }

  // Sends as many commands as free slots allow; finishes when the run is over and nothing is pending.
  void Pump() {
    if (stopping_ || finished_) return;
    if (!writing_) {
      const size_t free_slots = in_flight_.size() - in_flight_count_;
      const Clock::time_point now = Clock::now();
      const uint64_t granted = free_slots == 0 ? 0 : context_.window.Take(free_slots, now);
      if (granted > 0) {
        write_buffer_.clear();
        for (uint64_t i = 0; i < granted; ++i) {
          const RedisCommand& c = pool_[next_++ % pool_.size()];
          write_buffer_ += c.wire;
          in_flight_[(in_flight_head_ + in_flight_count_) % in_flight_.size()] = {now, c.payload_bytes};
          ++in_flight_count_;
        }
        writing_ = true;
        asio::async_write(socket_, asio::buffer(write_buffer_), [this, g = generation_](const error_code& ec, size_t) {
          if (g != generation_) return;
          if (ec) return Fail(ec, g);
          writing_ = false;
          Pump();
        });
      }
    }
    if (!writing_ && in_flight_count_ == 0) Finish();
  }

  void Read() {
    socket_.async_read_some(asio::buffer(read_buffer_.data() + read_end_, read_buffer_.size() - read_end_),
                            [this, g = generation_](const error_code& ec, size_t n) {
                              if (g != generation_) return;
                              if (ec) return Fail(ec, g);
                              read_end_ += n;
                              if (!ConsumeReplies()) {
                                ++context_.stats.protocol_errors;
                                return RetryLater();
                              }
                              Pump();
                              if (!finished_ && g == generation_) Read();
                            });
  }

  // Accounts for every complete reply in the buffer; false on a malformed or unexpected reply.
  bool ConsumeReplies() {
    size_t pos = 0;
    const Clock::time_point now = Clock::now();
    RunStats& stats = context_.stats;
    const bool counts = context_.window.Counts(now);
    while (pos < read_end_) {
      size_t consumed = 0;
      std::string_view error_word;
      const ReplyKind kind =
          ParseReply(std::string_view(read_buffer_.data() + pos, read_end_ - pos), consumed, error_word);
      if (kind == ReplyKind::kNeedMore) break;
      if (kind == ReplyKind::kMalformed || in_flight_count_ == 0) return false;
      const InFlight& f = in_flight_[in_flight_head_];
      in_flight_head_ = (in_flight_head_ + 1) % in_flight_.size();
      --in_flight_count_;
      pos += consumed;
      if (!counts) continue;
      if (kind == ReplyKind::kOk) {
        stats.latency.Record(static_cast<uint64_t>(std::chrono::nanoseconds(now - f.sent_at).count()));
        ++stats.requests_ok;
        ++stats.events_sent;
        ++stats.events_accepted;
        stats.body_bytes += f.payload_bytes;
      } else {
        ++stats.not_ok[std::string(error_word)];
      }
      stats.last_counted = now;
    }
    std::memmove(read_buffer_.data(), read_buffer_.data() + pos, read_end_ - pos);
    read_end_ -= pos;
    return read_end_ < read_buffer_.size();  // a reply larger than the buffer is not an XADD reply
  }

  const std::vector<RedisCommand>& pool_;
  size_t next_;

  std::vector<InFlight> in_flight_;  // ring of `pipeline` slots
  size_t in_flight_head_ = 0;
  size_t in_flight_count_ = 0;
  std::string write_buffer_;
  bool writing_ = false;

  std::vector<char> read_buffer_;
  size_t read_end_ = 0;
};

}  // namespace

std::vector<RedisCommand> MakeRedisCommands(const std::vector<std::string>& events, const std::string& key,
                                            uint64_t maxlen) {
  std::vector<RedisCommand> commands;
  commands.reserve(events.size());
  for (const std::string& e : events) {
    RedisCommand c;
    c.wire = maxlen > 0 ? "*8\r\n" : "*5\r\n";
    AppendBulk(c.wire, "XADD");
    AppendBulk(c.wire, key);
    if (maxlen > 0) {
      AppendBulk(c.wire, "MAXLEN");
      AppendBulk(c.wire, "~");
      AppendBulk(c.wire, std::to_string(maxlen));
    }
    AppendBulk(c.wire, "*");
    AppendBulk(c.wire, "payload");
    AppendBulk(c.wire, e);
    c.payload_bytes = e.size();
    commands.push_back(std::move(c));
  }
  return commands;
}

ConnectionFactory RedisConnectionFactory(tcp::endpoint endpoint, const std::vector<RedisCommand>& pool,
                                         size_t pipeline) {
  return [endpoint, &pool, pipeline](const ConnectionContext& context) -> std::unique_ptr<Connection> {
    return std::make_unique<RedisConnection>(context, endpoint, pool, pipeline);
  };
}

}  // namespace lagoa::bench

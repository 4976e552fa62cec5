// ReconnectingConnection: the connect, reconnect-after-error and finish cycle shared by the
// protocol drivers (HTTP, Redis). A failed or closed connection is reopened after a short delay;
// every handler carries the generation of the socket it was started on, so handlers of a socket
// closed after an error are ignored. Same lifecycle and thread as Connection (load_run.h).
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>

#include "load_run.h"

namespace lagoa::bench {

class ReconnectingConnection : public Connection {
 public:
  void Start() override { Connect(); }

  void Stop() override {
    stopping_ = true;
    boost::system::error_code ignored;
    socket_.close(ignored);
    retry_timer_.cancel();
  }

 protected:
  static constexpr auto kReconnectDelay = std::chrono::milliseconds(100);

  ReconnectingConnection(const ConnectionContext& context, boost::asio::ip::tcp::endpoint endpoint)
      : context_(context), endpoint_(endpoint), socket_(context.io), retry_timer_(context.io) {}

  // A new socket is about to connect: forget the old one's buffers and requests in flight.
  virtual void ResetForConnect() = 0;
  // The socket is connected: start sending.
  virtual void OnConnected() = 0;

  void Connect() {
    ++generation_;
    socket_ = boost::asio::ip::tcp::socket(context_.io);
    ResetForConnect();
    socket_.async_connect(endpoint_, [this, g = generation_](const boost::system::error_code& ec) {
      if (g != generation_ || stopping_) return;
      if (ec) {
        ++context_.stats.connect_errors;
        return RetryLater();
      }
      socket_.set_option(boost::asio::ip::tcp::no_delay(true));
      OnConnected();
    });
  }

  void RetryLater() {
    boost::system::error_code ignored;
    socket_.close(ignored);
    ++generation_;
    if (stopping_ || context_.window.Over(Clock::now())) return Finish();
    retry_timer_.expires_after(kReconnectDelay);
    retry_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (!ec && !stopping_) Connect();
    });
  }

  void Fail(const boost::system::error_code& ec, unsigned generation) {
    if (generation != generation_ || stopping_) return;
    if (ec != boost::asio::error::operation_aborted) ++context_.stats.io_errors;
    RetryLater();
  }

  void Finish() {
    if (finished_) return;
    finished_ = true;
    ++generation_;
    boost::system::error_code ignored;
    socket_.close(ignored);
    context_.on_finished();
  }

  ConnectionContext context_;
  boost::asio::ip::tcp::endpoint endpoint_;
  boost::asio::ip::tcp::socket socket_;
  boost::asio::steady_timer retry_timer_;
  unsigned generation_ = 0;
  bool stopping_ = false;
  bool finished_ = false;
};

}  // namespace lagoa::bench

// The HTTP side of the ingest benchmark: keep-alive connections that POST pre-built NDJSON batches
// to lagoa's `POST /v1/streams/NAME/events`, one request in flight per connection (closed loop).
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <string>
#include <vector>

#include "load_run.h"

namespace lagoa::bench {

// A complete request (head and body) ready to be written as is.
struct HttpRequest {
  std::string wire;
  size_t body_bytes = 0;
  size_t events = 0;
};

// Requests of `batch_events` events each, cut from `events` in order (wrapping around), at most
// `requests_max` of them; connections cycle through the pool.
std::vector<HttpRequest> MakeHttpRequests(const std::vector<std::string>& events, size_t batch_events,
                                          size_t requests_max, const std::string& host_port, const std::string& stream);

// The pool must outlive the run. `requests_per_s_per_connection` > 0 paces each connection (an
// open-loop rate, for soaks); 0 sends the next request as soon as a reply came (closed loop).
ConnectionFactory HttpConnectionFactory(const boost::asio::ip::tcp::endpoint& endpoint,
                                        const std::vector<HttpRequest>& pool, double requests_per_s_per_connection = 0);

}  // namespace lagoa::bench

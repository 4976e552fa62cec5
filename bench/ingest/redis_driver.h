// The Redis side of the ingest benchmark: the same events as `XADD KEY [MAXLEN ~ N] * payload EVENT`
// over RESP written by hand, with up to `pipeline` commands in flight per connection.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <string>
#include <vector>

#include "load_run.h"

namespace lagoa::bench {

// An encoded command ready to be written as is.
struct RedisCommand {
  std::string wire;
  size_t payload_bytes = 0;
};

// One XADD per event; `maxlen` 0 means no trimming.
std::vector<RedisCommand> MakeRedisCommands(const std::vector<std::string>& events, const std::string& key,
                                            uint64_t maxlen);

// The pool must outlive the run.
ConnectionFactory RedisConnectionFactory(boost::asio::ip::tcp::endpoint endpoint, const std::vector<RedisCommand>& pool,
                                         size_t pipeline);

}  // namespace lagoa::bench

// ParseHttpReply: just enough HTTP/1.1 response parsing for the load generator — status code,
// Content-Length or chunked body, and `Connection: close`. Pure function over a byte buffer so it
// can be tried again when more bytes arrive.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace lagoa::bench {

struct HttpReply {
  int status = 0;
  bool close = false;         // the server will close the connection after this reply
  std::string_view body;      // into the input, or into `chunked_body` for a chunked reply
  size_t consumed_bytes = 0;  // the reply's length in the input
};

enum class ParseOutcome { kNeedMore, kComplete, kMalformed };

ParseOutcome ParseHttpReply(std::string_view input, HttpReply& reply, std::string& chunked_body);

// The number after `"accepted":` in a lagoa ingest reply, or -1.
long long AcceptedCount(std::string_view body);

}  // namespace lagoa::bench

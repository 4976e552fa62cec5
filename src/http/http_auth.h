// Bearer tokens for the HTTP API (the server's `http_tokens`). The server keeps only each token's
// SHA-256 and a name, so a configuration file or a process listing never holds a usable secret;
// the name is who a request came as (HttpRequest::principal), for the roles a later issue adds.
// `lagoa token new NAME` makes a token and the line to configure.
// Threads: immutable after parsing; any thread may check.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace lagoa::http {

struct HttpToken {
  std::string name;
  std::array<uint8_t, 32> sha256{};
};

// `NAME:HEX[,NAME:HEX…]`, HEX the token's SHA-256 in 64 hex digits; InvalidArgument naming the
// entry that is not.
Result<std::vector<HttpToken>> ParseHttpTokens(std::string_view text);

// The SHA-256 of `token` in lower-case hex (what http_tokens holds).
std::string TokenSha256Hex(std::string_view token);

// A new token: 32 random bytes as 64 hex digits. Internal when the random source fails.
Result<std::string> NewToken();

// The name of the token `authorization` (an Authorization header: "Bearer TOKEN") carries, or
// nullopt when it carries none of `tokens`. Compares the hashes in constant time.
std::optional<std::string> AuthorizedName(const std::vector<HttpToken>& tokens, std::string_view authorization);

}  // namespace lagoa::http

// SCRAM-SHA-256 (RFC 5802, RFC 7677) for the PostgreSQL wire protocol, server side, as PostgreSQL
// does it: the client's SCRAM user name is ignored (the startup packet names the user), channel
// binding is not offered (no TLS yet), so the client's GS2 header must be "n,," or "y,,".
// OpenSSL computes PBKDF2, HMAC-SHA-256 and the random nonces.
//
// Lifecycle: a ScramSecret is derived once per configured user (PBKDF2, 4096 iterations, about a
// millisecond) and shared read-only; a ScramExchange lives for one authentication.
// Threads: ScramSecret is immutable; a ScramExchange belongs to one connection thread.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace lagoa::pg::pg {

inline constexpr std::string_view kScramMechanism = "SCRAM-SHA-256";

struct ScramSecret {
  std::string salt;  // raw bytes
  int iterations = 4096;
  std::array<uint8_t, 32> stored_key{};
  std::array<uint8_t, 32> server_key{};

  // A fresh random salt; Internal if OpenSSL fails.
  static Result<ScramSecret> FromPassword(std::string_view password, int iterations = 4096);
  // A secret no password matches, for unknown users: the exchange runs to the end and then fails
  // as a wrong password would, so clients cannot probe which users exist.
  static ScramSecret Unmatchable();
};

class ScramExchange {
 public:
  explicit ScramExchange(const ScramSecret& secret) : secret_(secret) {}

  // Takes the client-first-message; returns the server-first-message. InvalidArgument when the
  // message is malformed or asks for channel binding.
  Result<std::string> ClientFirst(std::string_view message);
  // Takes the client-final-message; returns the server-final-message ("v=…") when the proof is
  // right, InvalidArgument when malformed, FailedPrecondition when the password is wrong.
  Result<std::string> ClientFinal(std::string_view message);

 private:
  const ScramSecret& secret_;
  std::string gs2_header_;
  std::string client_first_bare_;
  std::string server_first_;
  std::string nonce_;  // client nonce + server nonce
};

std::string Base64Encode(std::string_view bytes);
// Strict: InvalidArgument unless `text` is canonical padded base64.
Result<std::string> Base64Decode(std::string_view text);

}  // namespace lagoa::pg::pg

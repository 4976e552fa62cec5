// Bearer tokens for the HTTP API (http_auth.h).
#include "http/http_auth.h"

#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

namespace lagoa::http {
namespace {

std::array<uint8_t, 32> Sha256(std::string_view text) {
  std::array<uint8_t, 32> digest{};
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest.data());
  return digest;
}

std::string Hex(const uint8_t* bytes, size_t size) {
  std::string out;
  for (size_t i = 0; i < size; ++i) out += fmt::format("{:02x}", bytes[i]);
  return out;
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

Result<std::vector<HttpToken>> ParseHttpTokens(std::string_view text) {
  std::vector<HttpToken> tokens;
  size_t start = 0;
  while (start < text.size()) {
    const size_t comma = std::min(text.find(',', start), text.size());
    const std::string_view entry = text.substr(start, comma - start);
    start = comma + 1;
    const size_t colon = entry.find(':');
    const std::string_view hex = colon == std::string_view::npos ? std::string_view() : entry.substr(colon + 1);
    HttpToken token;
    bool valid = colon != std::string_view::npos && colon > 0 && hex.size() == 64;
    for (size_t i = 0; valid && i < 32; ++i) {
      const int high = HexDigit(hex[2 * i]);
      const int low = HexDigit(hex[2 * i + 1]);
      valid = high >= 0 && low >= 0;
      token.sha256[i] = static_cast<uint8_t>(high * 16 + low);
    }
    if (!valid) {
      // The entry is not echoed: it may be a token pasted where its hash belongs.
      return Status::InvalidArgument(fmt::format(
          "entry {} is not NAME:SHA256 (a name, ':', and the token's SHA-256 in 64 hex digits; `lagoa token new NAME` "
          "prints one)",
          tokens.size() + 1));
    }
    token.name = std::string(entry.substr(0, colon));
    tokens.push_back(std::move(token));
  }
  return tokens;
}

std::string TokenSha256Hex(std::string_view token) {
  const std::array<uint8_t, 32> digest = Sha256(token);
  return Hex(digest.data(), digest.size());
}

Result<std::string> NewToken() {
  std::array<uint8_t, 32> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    return Status::Internal("OpenSSL's random source failed; no token was made");
  }
  return Hex(bytes.data(), bytes.size());
}

std::optional<std::string> AuthorizedName(const std::vector<HttpToken>& tokens, std::string_view authorization) {
  constexpr std::string_view kScheme = "Bearer ";
  if (authorization.size() <= kScheme.size()) return std::nullopt;
  for (size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(authorization[i])) !=
        std::tolower(static_cast<unsigned char>(kScheme[i]))) {
      return std::nullopt;
    }
  }
  std::string_view presented = authorization.substr(kScheme.size());
  while (!presented.empty() && presented.front() == ' ') presented.remove_prefix(1);
  while (!presented.empty() && presented.back() == ' ') presented.remove_suffix(1);
  const std::array<uint8_t, 32> digest = Sha256(presented);
  std::optional<std::string> name;
  for (const HttpToken& token : tokens) {  // every token compared, in constant time each
    if (CRYPTO_memcmp(digest.data(), token.sha256.data(), digest.size()) == 0 && !name) name = token.name;
  }
  return name;
}

}  // namespace lagoa::http

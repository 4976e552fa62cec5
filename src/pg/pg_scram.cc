#include "pg/pg_scram.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <span>
#include <vector>

#include "base/assert.h"

namespace lagoa::pg::pg {
namespace {

using Digest = std::array<uint8_t, 32>;

Digest Hmac(std::span<const uint8_t> key, std::string_view data) {
  Digest out{};
  unsigned int length = 0;
  const unsigned char* result =
      HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
           data.size(), out.data(), &length);
  LAGOA_ASSERT(result != nullptr && length == out.size());
  return out;
}

Digest Sha256(std::span<const uint8_t> data) {
  Digest out{};
  SHA256(data.data(), data.size(), out.data());
  return out;
}

std::string_view AsText(const Digest& d) { return {reinterpret_cast<const char*>(d.data()), d.size()}; }

Result<std::string> RandomBytes(size_t n) {
  std::string bytes(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(n)) != 1) {
    return Status::Internal("OpenSSL RAND_bytes failed");
  }
  return bytes;
}

// Splits "a=x,b=y" into attribute/value pairs, in order.
bool SplitAttributes(std::string_view message, std::vector<std::pair<char, std::string_view>>* out) {
  size_t pos = 0;
  while (pos <= message.size()) {
    size_t comma = message.find(',', pos);
    std::string_view part = message.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos);
    if (part.size() < 2 || part[1] != '=') return false;
    out->emplace_back(part[0], part.substr(2));
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  return true;
}

Status Malformed(std::string_view what) {
  return Status::InvalidArgument("malformed SCRAM message: " + std::string(what));
}

}  // namespace

std::string Base64Encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

Result<std::string> Base64Decode(std::string_view text) {
  if (text.size() % 4 != 0) return Status::InvalidArgument("invalid base64");
  std::string out(text.size() / 4 * 3 + 1, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  if (n < 0) return Status::InvalidArgument("invalid base64");
  size_t padding = 0;
  if (!text.empty() && text.back() == '=') ++padding;
  if (text.size() >= 2 && text[text.size() - 2] == '=') ++padding;
  out.resize(static_cast<size_t>(n) - padding);
  if (Base64Encode(out) != text) return Status::InvalidArgument("invalid base64");
  return out;
}

Result<ScramSecret> ScramSecret::FromPassword(std::string_view password, int iterations) {
  ScramSecret s;
  s.iterations = iterations;
  LAGOA_ASSIGN_OR_RETURN(s.salt, RandomBytes(16));
  Digest salted{};
  if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                        reinterpret_cast<const unsigned char*>(s.salt.data()), static_cast<int>(s.salt.size()),
                        iterations, EVP_sha256(), static_cast<int>(salted.size()), salted.data()) != 1) {
    return Status::Internal("OpenSSL PBKDF2 failed");
  }
  Digest client_key = Hmac(salted, "Client Key");
  s.stored_key = Sha256(client_key);
  s.server_key = Hmac(salted, "Server Key");
  return s;
}

ScramSecret ScramSecret::Unmatchable() {
  ScramSecret s;
  s.salt = "lagoa-no-user-01";
  // stored_key stays zero: no client key hashes to all zeros.
  return s;
}

Result<std::string> ScramExchange::ClientFirst(std::string_view message) {
  // gs2-header: ("n" | "y" | "p=…") "," [authzid] ","
  if (message.starts_with("p=")) return Status::InvalidArgument("SCRAM channel binding is not supported (no TLS)");
  if (!message.starts_with("n,") && !message.starts_with("y,")) return Malformed("bad GS2 header");
  size_t second = message.find(',', 2);
  if (second == std::string_view::npos) return Malformed("bad GS2 header");
  if (second != 2) return Status::InvalidArgument("SCRAM authorization identities are not supported");
  gs2_header_ = std::string(message.substr(0, second + 1));
  client_first_bare_ = std::string(message.substr(second + 1));
  std::vector<std::pair<char, std::string_view>> attributes;
  if (!SplitAttributes(client_first_bare_, &attributes) || attributes.size() < 2 || attributes[0].first != 'n' ||
      attributes[1].first != 'r' || attributes[1].second.empty()) {
    return Malformed("client-first-message");
  }
  for (char c : attributes[1].second) {
    if (c < 0x21 || c > 0x7e || c == ',') return Malformed("nonce");
  }
  LAGOA_ASSIGN_OR_RETURN(std::string random, RandomBytes(18));
  nonce_ = std::string(attributes[1].second) + Base64Encode(random);
  server_first_ = "r=" + nonce_ + ",s=" + Base64Encode(secret_.salt) + ",i=" + std::to_string(secret_.iterations);
  return server_first_;
}

Result<std::string> ScramExchange::ClientFinal(std::string_view message) {
  if (server_first_.empty()) return Malformed("client-final-message before client-first-message");
  size_t proof_at = message.rfind(",p=");
  if (proof_at == std::string_view::npos) return Malformed("client-final-message without proof");
  std::string_view without_proof = message.substr(0, proof_at);
  std::vector<std::pair<char, std::string_view>> attributes;
  if (!SplitAttributes(without_proof, &attributes) || attributes.size() < 2 || attributes[0].first != 'c' ||
      attributes[1].first != 'r') {
    return Malformed("client-final-message");
  }
  auto binding = Base64Decode(attributes[0].second);
  if (!binding.ok() || *binding != gs2_header_) return Malformed("channel binding does not match");
  if (attributes[1].second != nonce_) return Malformed("nonce does not match");
  auto proof = Base64Decode(message.substr(proof_at + 3));
  if (!proof.ok() || proof->size() != 32) return Malformed("proof");

  std::string auth_message = client_first_bare_ + "," + server_first_ + "," + std::string(without_proof);
  Digest client_signature = Hmac(secret_.stored_key, auth_message);
  Digest client_key{};
  for (size_t i = 0; i < client_key.size(); ++i) {
    client_key[i] = static_cast<uint8_t>(static_cast<uint8_t>((*proof)[i]) ^ client_signature[i]);
  }
  Digest computed = Sha256(client_key);
  if (CRYPTO_memcmp(computed.data(), secret_.stored_key.data(), computed.size()) != 0) {
    return Status::FailedPrecondition("wrong password");
  }
  Digest server_signature = Hmac(secret_.server_key, auth_message);
  return "v=" + Base64Encode(AsText(server_signature));
}

}  // namespace lagoa::pg::pg

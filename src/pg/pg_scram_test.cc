#include "pg/pg_scram.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

namespace lagoa::pg::pg {
namespace {

std::string Hmac(std::string_view key, std::string_view data) {
  unsigned char out[32];
  unsigned int n = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), out, &n);
  return std::string(reinterpret_cast<char*>(out), n);
}

// The client side of SCRAM-SHA-256, written from RFC 5802 independently of the server code.
std::string ClientFinal(std::string_view password, std::string_view client_first_bare, std::string_view server_first) {
  std::string nonce, salt;
  int iterations = 0;
  size_t pos = 0;
  std::string s(server_first);
  while (pos < s.size()) {
    size_t comma = s.find(',', pos);
    if (comma == std::string::npos) comma = s.size();
    std::string part = s.substr(pos, comma - pos);
    if (part[0] == 'r') nonce = part.substr(2);
    if (part[0] == 's') salt = *Base64Decode(part.substr(2));
    if (part[0] == 'i') iterations = std::stoi(part.substr(2));
    pos = comma + 1;
  }
  unsigned char salted[32];
  PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                    reinterpret_cast<const unsigned char*>(salt.data()), static_cast<int>(salt.size()), iterations,
                    EVP_sha256(), 32, salted);
  std::string salted_s(reinterpret_cast<char*>(salted), 32);
  std::string client_key = Hmac(salted_s, "Client Key");
  unsigned char stored[32];
  SHA256(reinterpret_cast<const unsigned char*>(client_key.data()), 32, stored);
  std::string without_proof = "c=biws,r=" + nonce;
  std::string auth = std::string(client_first_bare) + "," + std::string(server_first) + "," + without_proof;
  std::string signature = Hmac(std::string(reinterpret_cast<char*>(stored), 32), auth);
  std::string proof(32, '\0');
  for (size_t i = 0; i < 32; ++i) proof[i] = static_cast<char>(client_key[i] ^ signature[i]);
  return without_proof + ",p=" + Base64Encode(proof);
}

TEST(PgScram, RightPasswordAuthenticatesAndServerProvesItself) {
  auto secret = ScramSecret::FromPassword("s3cret");
  ASSERT_TRUE(secret.ok());
  ScramExchange exchange(*secret);
  auto server_first = exchange.ClientFirst("n,,n=,r=abcdefgh");
  ASSERT_TRUE(server_first.ok()) << server_first.status().ToString();
  EXPECT_TRUE(server_first->starts_with("r=abcdefgh"));
  auto server_final = exchange.ClientFinal(ClientFinal("s3cret", "n=,r=abcdefgh", *server_first));
  ASSERT_TRUE(server_final.ok()) << server_final.status().ToString();
  EXPECT_TRUE(server_final->starts_with("v="));
}

TEST(PgScram, WrongPasswordAndUnknownUserFail) {
  auto secret = ScramSecret::FromPassword("s3cret");
  ScramExchange exchange(*secret);
  auto server_first = exchange.ClientFirst("n,,n=,r=abc");
  auto final = exchange.ClientFinal(ClientFinal("nope", "n=,r=abc", *server_first));
  EXPECT_EQ(final.status().code(), StatusCode::kFailedPrecondition);

  ScramSecret unknown = ScramSecret::Unmatchable();
  ScramExchange mock(unknown);
  auto first = mock.ClientFirst("n,,n=bob,r=xyz");
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(mock.ClientFinal(ClientFinal("", "n=bob,r=xyz", *first)).status().code(), StatusCode::kFailedPrecondition);
}

TEST(PgScram, RefusesMalformedMessages) {
  auto secret = ScramSecret::FromPassword("pw");
  ScramExchange exchange(*secret);
  EXPECT_FALSE(exchange.ClientFinal("c=biws,r=x,p=AAAA").ok());  // before client-first
  EXPECT_FALSE(exchange.ClientFirst("p=tls-server-end-point,,n=,r=x").ok());
  EXPECT_FALSE(exchange.ClientFirst("x,,n=,r=x").ok());
  EXPECT_FALSE(exchange.ClientFirst("n,a=admin,n=,r=x").ok());
  EXPECT_FALSE(exchange.ClientFirst("n,,r=x").ok());
  EXPECT_FALSE(exchange.ClientFirst("n,,n=,r=").ok());
  auto first = exchange.ClientFirst("n,,n=,r=nonce");
  ASSERT_TRUE(first.ok());
  EXPECT_FALSE(exchange.ClientFinal("c=biws,r=othernonce,p=" + Base64Encode(std::string(32, 'x'))).ok());
  EXPECT_FALSE(exchange.ClientFinal("c=biws,r=nonce").ok());
  EXPECT_FALSE(exchange.ClientFinal("c=biws,p=####").ok());
}

TEST(PgScram, Base64RoundTripsAndIsStrict) {
  for (const std::string& s : std::vector<std::string>{"", "a", "ab", "abc", "abcd", std::string("\0\xff", 2)}) {
    EXPECT_EQ(*Base64Decode(Base64Encode(s)), s);
  }
  EXPECT_FALSE(Base64Decode("abc").ok());
  EXPECT_FALSE(Base64Decode("ab!=").ok());
}

}  // namespace
}  // namespace lagoa::pg::pg

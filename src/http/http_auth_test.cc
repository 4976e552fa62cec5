// Bearer tokens: parsing the configured hashes, checking a header, and the real HttpServer
// answering curl with and without a token.
#include "http/http_auth.h"

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>

#include "http/http_server.h"

namespace lagoa::http {
namespace {

TEST(HttpAuth, ATokenMatchesOnlyItsOwnHash) {
  auto token = NewToken();
  ASSERT_TRUE(token.ok());
  EXPECT_EQ(token->size(), 64u);
  auto tokens = ParseHttpTokens("ci:" + TokenSha256Hex(*token) + ",ops:" + TokenSha256Hex("other"));
  ASSERT_TRUE(tokens.ok()) << tokens.status().ToString();
  ASSERT_EQ(tokens->size(), 2u);
  EXPECT_EQ(AuthorizedName(*tokens, "Bearer " + *token), "ci");
  EXPECT_EQ(AuthorizedName(*tokens, "bearer  other "), "ops");
  EXPECT_EQ(AuthorizedName(*tokens, "Bearer " + TokenSha256Hex(*token)), std::nullopt);  // the hash is no token
  EXPECT_EQ(AuthorizedName(*tokens, "Basic " + *token), std::nullopt);
  EXPECT_EQ(AuthorizedName(*tokens, ""), std::nullopt);
  EXPECT_EQ(AuthorizedName(*tokens, "Bearer "), std::nullopt);
}

TEST(HttpAuth, EntriesThatAreNotNameAndHashAreRefusedWithoutEchoingThem) {
  EXPECT_TRUE(ParseHttpTokens("").ok());
  for (const char* wrong : {"secret",
                            ":"
                            "0000000000000000000000000000000000000000000000000000000000000000",
                            "a:00", "a:zz00000000000000000000000000000000000000000000000000000000000000"}) {
    auto parsed = ParseHttpTokens(wrong);
    ASSERT_FALSE(parsed.ok()) << wrong;
    EXPECT_EQ(parsed.status().message().find(wrong), std::string::npos) << parsed.status().message();
    EXPECT_NE(parsed.status().message().find("NAME:SHA256"), std::string::npos);
  }
}

struct Curl {
  int status = 0;
  std::string body;
};

// curl's answer: the HTTP status after the body.
Curl RunCurl(const std::string& arguments) {
  FILE* pipe = ::popen(("curl -s -w '\\n%{http_code}' " + arguments + " 2>&1").c_str(), "r");
  std::string output;
  std::array<char, 4096> buffer;
  size_t n = 0;
  while (pipe != nullptr && (n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0)
    output.append(buffer.data(), n);
  if (pipe != nullptr) ::pclose(pipe);
  Curl curl;
  const size_t newline = output.rfind('\n');
  if (newline == std::string::npos) return curl;
  curl.body = output.substr(0, newline);
  curl.status = std::atoi(output.c_str() + newline + 1);
  return curl;
}

TEST(HttpAuth, TheServerAnswersOnlyRequestsCarryingAToken) {
  HttpServerOptions options;
  options.port = 0;
  auto tokens = ParseHttpTokens("tester:" + TokenSha256Hex("s3cret"));
  ASSERT_TRUE(tokens.ok());
  options.tokens = *tokens;
  auto server = HttpServer::Make(options, [](HttpRequest&& request, Responder respond) {
    respond(HttpResponse::Json(200, "{\"principal\":\"" + request.principal + "\"}"));
  });
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  ASSERT_TRUE((*server)->Start().ok());
  const std::string url = "http://127.0.0.1:" + std::to_string((*server)->port());
  Curl none = RunCurl("--data-binary 'SELECT 1' " + url + "/v1/sql");
  EXPECT_EQ(none.status, 401) << none.body;
  EXPECT_NE(none.body.find("bearer token"), std::string::npos) << none.body;
  Curl wrong = RunCurl("-H 'Authorization: Bearer nope' " + url + "/v1/streams");
  EXPECT_EQ(wrong.status, 401) << wrong.body;
  Curl right = RunCurl("-H 'Authorization: Bearer s3cret' " + url + "/v1/streams");
  EXPECT_EQ(right.status, 200) << right.body;
  EXPECT_EQ(right.body, "{\"principal\":\"tester\"}\n");  // Json() ends the body with a newline
  Curl health = RunCurl(url + "/v1/health");              // load balancers' probes carry no token
  EXPECT_EQ(health.status, 200) << health.body;
  (*server)->Stop();
}

}  // namespace
}  // namespace lagoa::http

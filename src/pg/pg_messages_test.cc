#include "pg/pg_messages.h"

#include <gtest/gtest.h>

#include "pg/pg_scram.h"

namespace lagoa::pg::pg {
namespace {

std::string Int32Bytes(int32_t v) {
  std::string s;
  AppendInt32(&s, v);
  return s;
}
std::string Int16Bytes(int16_t v) {
  std::string s;
  AppendInt16(&s, v);
  return s;
}
std::string Z(std::string_view s) { return std::string(s) + '\0'; }

template <typename T>
T ParseAs(char type, const std::string& body) {
  auto m = ParseFrontendMessage(type, body);
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_TRUE(std::holds_alternative<T>(*m));
  return std::get<T>(*m);
}

// Splits an encoded backend buffer into (type, body) pairs, checking every length word.
std::vector<std::pair<char, std::string>> Frames(const std::string& bytes) {
  std::vector<std::pair<char, std::string>> frames;
  size_t pos = 0;
  while (pos < bytes.size()) {
    EXPECT_LE(pos + 5, bytes.size());
    auto length = static_cast<uint32_t>(LoadInt32(bytes.data() + pos + 1));
    EXPECT_GE(length, 4u);
    EXPECT_LE(pos + 1 + length, bytes.size());
    frames.emplace_back(bytes[pos], bytes.substr(pos + 5, length - 4));
    pos += 1 + length;
  }
  return frames;
}

TEST(PgStartup, ParsesStartupMessageWithParameters) {
  std::string body = Int32Bytes(196608) + Z("user") + Z("alice") + Z("database") + Z("lagoa") + Z("");
  auto p = ParseStartupPacket(body);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  auto& m = std::get<StartupMessage>(*p);
  EXPECT_EQ(m.Param("user"), "alice");
  EXPECT_EQ(m.Param("database"), "lagoa");
  EXPECT_EQ(m.Param("application_name"), "");
}

TEST(PgStartup, RecognizesSslGssAndCancelRequests) {
  EXPECT_TRUE(std::holds_alternative<SslRequest>(*ParseStartupPacket(Int32Bytes(80877103))));
  EXPECT_TRUE(std::holds_alternative<GssEncRequest>(*ParseStartupPacket(Int32Bytes(80877104))));
  auto cancel = ParseStartupPacket(Int32Bytes(80877102) + Int32Bytes(42) + Int32Bytes(-7));
  ASSERT_TRUE(cancel.ok());
  EXPECT_EQ(std::get<CancelRequest>(*cancel).pid, 42);
  EXPECT_EQ(std::get<CancelRequest>(*cancel).secret, -7);
}

TEST(PgStartup, RefusesMalformedPackets) {
  EXPECT_FALSE(ParseStartupPacket("").ok());
  EXPECT_FALSE(ParseStartupPacket("\x00\x03").ok());
  EXPECT_FALSE(ParseStartupPacket(Int32Bytes(80877102) + Int32Bytes(1)).ok());         // truncated cancel
  EXPECT_FALSE(ParseStartupPacket(Int32Bytes(80877103) + "x").ok());                   // trailing bytes
  EXPECT_FALSE(ParseStartupPacket(Int32Bytes(131072) + Z("")).ok());                   // protocol 2.0
  EXPECT_FALSE(ParseStartupPacket(Int32Bytes(196608) + Z("user") + "alice").ok());     // unterminated
  EXPECT_FALSE(ParseStartupPacket(Int32Bytes(196608) + Z("user") + Z("alice")).ok());  // no final NUL
  EXPECT_FALSE(ParseStartupPacket(Int32Bytes(196608) + Z("") + "junk").ok());
  EXPECT_FALSE(StartupBodyLength(7).ok());
  EXPECT_FALSE(StartupBodyLength(10005).ok());
  EXPECT_FALSE(StartupBodyLength(0xffffffffu).ok());
  EXPECT_EQ(*StartupBodyLength(8), 4u);
}

TEST(PgFrontend, ParsesEveryMessageType) {
  EXPECT_EQ(ParseAs<Query>('Q', Z("SELECT 1")).sql, "SELECT 1");

  auto parse = ParseAs<Parse>('P', Z("s1") + Z("SELECT $1") + Int16Bytes(2) + Int32Bytes(23) + Int32Bytes(0));
  EXPECT_EQ(parse.statement, "s1");
  EXPECT_EQ(parse.sql, "SELECT $1");
  EXPECT_EQ(parse.param_types, (std::vector<uint32_t>{23, 0}));

  auto bind = ParseAs<Bind>('B', Z("p") + Z("s1") + Int16Bytes(2) + Int16Bytes(0) + Int16Bytes(1) + Int16Bytes(2) +
                                     Int32Bytes(2) + "42" + Int32Bytes(-1) + Int16Bytes(1) + Int16Bytes(1));
  EXPECT_EQ(bind.portal, "p");
  EXPECT_EQ(bind.statement, "s1");
  EXPECT_EQ(bind.param_formats, (std::vector<int16_t>{0, 1}));
  ASSERT_EQ(bind.params.size(), 2u);
  EXPECT_EQ(bind.params[0], "42");
  EXPECT_FALSE(bind.params[1].has_value());
  EXPECT_EQ(bind.result_formats, (std::vector<int16_t>{1}));

  auto describe = ParseAs<Describe>('D', "P" + Z("p"));
  EXPECT_EQ(describe.target, 'P');
  EXPECT_EQ(describe.name, "p");
  auto execute = ParseAs<Execute>('E', Z("p") + Int32Bytes(100));
  EXPECT_EQ(execute.portal, "p");
  EXPECT_EQ(execute.rows_max, 100);
  EXPECT_EQ(ParseAs<Execute>('E', Z("") + Int32Bytes(-5)).rows_max, 0);
  auto close = ParseAs<Close>('C', "S" + Z("s1"));
  EXPECT_EQ(close.target, 'S');
  EXPECT_EQ(close.name, "s1");
  ParseAs<Sync>('S', "");
  ParseAs<Flush>('H', "");
  ParseAs<Terminate>('X', "");
  EXPECT_EQ(ParseAs<PasswordData>('p', Z("secret")).body, Z("secret"));
}

TEST(PgFrontend, RefusesTruncatedAndInconsistentMessages) {
  EXPECT_FALSE(ParseFrontendMessage('Q', "SELECT 1").ok());    // no NUL
  EXPECT_FALSE(ParseFrontendMessage('Q', Z("a") + "b").ok());  // trailing bytes
  EXPECT_FALSE(ParseFrontendMessage('P', Z("s") + Z("q") + Int16Bytes(3) + Int32Bytes(23)).ok());
  EXPECT_FALSE(ParseFrontendMessage('P', Z("s") + Z("q") + Int16Bytes(-1)).ok());
  EXPECT_FALSE(ParseFrontendMessage('B', Z("") + Z("") + Int16Bytes(0) + Int16Bytes(1) + Int32Bytes(10) + "abc").ok());
  EXPECT_FALSE(ParseFrontendMessage('B', Z("") + Z("") + Int16Bytes(0) + Int16Bytes(1) + Int32Bytes(-2)).ok());
  EXPECT_FALSE(
      ParseFrontendMessage('B', Z("") + Z("") + Int16Bytes(1) + Int16Bytes(7) + Int16Bytes(0) + Int16Bytes(0)).ok());
  // Two parameter formats for one parameter.
  EXPECT_FALSE(ParseFrontendMessage('B', Z("") + Z("") + Int16Bytes(2) + Int16Bytes(0) + Int16Bytes(0) + Int16Bytes(1) +
                                             Int32Bytes(1) + "1" + Int16Bytes(0))
                   .ok());
  EXPECT_FALSE(ParseFrontendMessage('B', Z("") + Z("") + Int16Bytes(0) + Int16Bytes(30000)).ok());
  EXPECT_FALSE(ParseFrontendMessage('B', Z("") + Z("") + Int16Bytes(0) + Int16Bytes(0)).ok());  // no result formats
  EXPECT_FALSE(ParseFrontendMessage('D', "X" + Z("p")).ok());
  EXPECT_FALSE(ParseFrontendMessage('D', "P").ok());
  EXPECT_FALSE(ParseFrontendMessage('E', Z("p") + "\x00\x01").ok());
  EXPECT_FALSE(ParseFrontendMessage('S', "x").ok());
  EXPECT_FALSE(ParseFrontendMessage('X', "x").ok());
  EXPECT_FALSE(ParseFrontendMessage('d', "copy data").ok());  // COPY is not supported
  EXPECT_FALSE(ParseFrontendMessage('\xff', "").ok());
  EXPECT_FALSE(MessageBodyLength(3).ok());
  EXPECT_FALSE(MessageBodyLength(0x80000000u).ok());
  EXPECT_FALSE(MessageBodyLength((64u << 20) + 5).ok());
  EXPECT_EQ(*MessageBodyLength(4), 0u);
}

TEST(PgFrontend, ParsesSaslAndPasswordBodies) {
  auto initial = ParseSaslInitialResponse(Z("SCRAM-SHA-256") + Int32Bytes(3) + "abc");
  ASSERT_TRUE(initial.ok());
  EXPECT_EQ(initial->mechanism, "SCRAM-SHA-256");
  EXPECT_EQ(initial->data, "abc");
  EXPECT_FALSE(ParseSaslInitialResponse(Z("SCRAM-SHA-256") + Int32Bytes(-1))->data.has_value());
  EXPECT_FALSE(ParseSaslInitialResponse(Z("SCRAM-SHA-256") + Int32Bytes(4) + "abc").ok());
  EXPECT_FALSE(ParseSaslInitialResponse("SCRAM").ok());
  EXPECT_EQ(*ParsePasswordMessage(Z("pw")), "pw");
  EXPECT_FALSE(ParsePasswordMessage("pw").ok());
}

TEST(PgBackend, EncodesAuthenticationAndStatusMessages) {
  std::string out;
  AppendAuthenticationOk(&out);
  AppendAuthenticationCleartextPassword(&out);
  std::string_view mechanisms[] = {kScramMechanism};
  AppendAuthenticationSasl(&out, mechanisms);
  AppendAuthenticationSaslContinue(&out, "r=x");
  AppendAuthenticationSaslFinal(&out, "v=y");
  AppendParameterStatus(&out, "server_encoding", "UTF8");
  AppendBackendKeyData(&out, 7, 9);
  AppendReadyForQuery(&out, 'T');
  auto f = Frames(out);
  ASSERT_EQ(f.size(), 8u);
  EXPECT_EQ(f[0], std::make_pair('R', Int32Bytes(0)));
  EXPECT_EQ(f[1], std::make_pair('R', Int32Bytes(3)));
  EXPECT_EQ(f[2], std::make_pair('R', Int32Bytes(10) + Z("SCRAM-SHA-256") + Z("")));
  EXPECT_EQ(f[3], std::make_pair('R', Int32Bytes(11) + "r=x"));
  EXPECT_EQ(f[4], std::make_pair('R', Int32Bytes(12) + "v=y"));
  EXPECT_EQ(f[5], std::make_pair('S', Z("server_encoding") + Z("UTF8")));
  EXPECT_EQ(f[6], std::make_pair('K', Int32Bytes(7) + Int32Bytes(9)));
  EXPECT_EQ(f[7], std::make_pair('Z', std::string("T")));
}

TEST(PgBackend, EncodesQueryResultMessages) {
  std::string out;
  FieldDescription fields[] = {{.name = "n", .type_oid = 20, .type_size = 8}, {.name = "s", .format = 1}};
  AppendRowDescription(&out, fields);
  uint32_t oids[] = {23, 25};
  AppendParameterDescription(&out, oids);
  size_t row = BeginDataRow(&out, 2);
  size_t value = BeginValue(&out);
  out += "42";
  EndValue(&out, value);
  AppendNullValue(&out);
  EndMessage(&out, row);
  AppendCommandComplete(&out, "SELECT 1");
  AppendNoData(&out);
  AppendParseComplete(&out);
  AppendBindComplete(&out);
  AppendCloseComplete(&out);
  AppendPortalSuspended(&out);
  AppendEmptyQueryResponse(&out);
  auto f = Frames(out);
  ASSERT_EQ(f.size(), 10u);
  EXPECT_EQ(f[0].first, 'T');
  EXPECT_EQ(f[0].second, Int16Bytes(2) + Z("n") + Int32Bytes(0) + Int16Bytes(0) + Int32Bytes(20) + Int16Bytes(8) +
                             Int32Bytes(-1) + Int16Bytes(0) + Z("s") + Int32Bytes(0) + Int16Bytes(0) + Int32Bytes(25) +
                             Int16Bytes(-1) + Int32Bytes(-1) + Int16Bytes(1));
  EXPECT_EQ(f[1], std::make_pair('t', Int16Bytes(2) + Int32Bytes(23) + Int32Bytes(25)));
  EXPECT_EQ(f[2], std::make_pair('D', Int16Bytes(2) + Int32Bytes(2) + "42" + Int32Bytes(-1)));
  EXPECT_EQ(f[3], std::make_pair('C', Z("SELECT 1")));
  std::string types;
  for (size_t i = 4; i < f.size(); ++i) {
    types += f[i].first;
    EXPECT_EQ(f[i].second, "");
  }
  EXPECT_EQ(types, "n123sI");
}

TEST(PgBackend, EncodesErrorAndNoticeFields) {
  std::string out;
  AppendErrorResponse(&out, PgError{.sqlstate = "42601", .message = "syntax error", .hint = "h", .position = 8});
  AppendNoticeResponse(&out, PgError{.severity = "NOTICE", .sqlstate = "00000", .message = std::string("a\0b", 3)});
  auto f = Frames(out);
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f[0], std::make_pair('E', "S" + Z("ERROR") + "V" + Z("ERROR") + "C" + Z("42601") + "M" + Z("syntax error") +
                                          "H" + Z("h") + "P" + Z("8") + Z("")));
  // A NUL inside a field is cut there rather than breaking the framing.
  EXPECT_EQ(f[1], std::make_pair('N', "S" + Z("NOTICE") + "V" + Z("NOTICE") + "C" + Z("00000") + "M" + Z("a") + Z("")));
}

TEST(PgBackend, TypeLengths) {
  EXPECT_EQ(PgTypeLength(16), 1);
  EXPECT_EQ(PgTypeLength(23), 4);
  EXPECT_EQ(PgTypeLength(20), 8);
  EXPECT_EQ(PgTypeLength(25), -1);
  EXPECT_EQ(PgTypeLength(1700), -1);
}

}  // namespace
}  // namespace lagoa::pg::pg

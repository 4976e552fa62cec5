// The PostgreSQL wire protocol 3.0 codec: parsing of frontend messages (bounds-checked, for
// hostile input) and encoding of backend messages. No I/O and no SQL here: pg_connection.cc reads
// the bytes and decides what to answer. All integers on the wire are big-endian.
//
// Framing: the first packet of a connection is a startup packet (int32 length including itself,
// int32 code, body); every later frontend message is a type byte, an int32 length including
// itself, and a body. Lengths outside the limits below are a protocol violation (08P01): the
// connection answers an ErrorResponse and closes.
//
// Threads: free functions over caller-owned buffers; safe from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "base/status.h"

namespace lagoa::pg::pg {

inline constexpr uint32_t kProtocolVersion3 = 196608;  // 3.0
inline constexpr uint32_t kSslRequestCode = 80877103;
inline constexpr uint32_t kGssEncRequestCode = 80877104;
inline constexpr uint32_t kCancelRequestCode = 80877102;
// PostgreSQL's own limit for startup packets (MAX_STARTUP_PACKET_LENGTH).
inline constexpr size_t kStartupBodyBytesMax = 10000;
// The largest frontend message body accepted (a Query text, a Bind with its parameters).
inline constexpr size_t kMessageBodyBytesMax = 64u << 20;
// A Bind holds at most this many parameters or format codes (PostgreSQL's int16 limit).
inline constexpr size_t kParamsMax = 65535;

// ---- Startup phase ----

struct StartupMessage {
  uint32_t protocol = kProtocolVersion3;
  std::vector<std::pair<std::string, std::string>> params;  // user, database, options, …
  // The parameter's value, or "" when absent.
  std::string Param(std::string_view name) const;
};
struct SslRequest {};
struct GssEncRequest {};
struct CancelRequest {
  int32_t pid = 0;
  int32_t secret = 0;
};
using StartupPacket = std::variant<StartupMessage, SslRequest, GssEncRequest, CancelRequest>;

// The body length announced by a startup packet's length word (which counts itself);
// InvalidArgument outside [8, 4 + kStartupBodyBytesMax].
Result<size_t> StartupBodyLength(uint32_t length_word);
// Parses the body (after the length word) of a startup packet. A protocol other than 3.x is
// InvalidArgument, as are truncated or unterminated parameters.
Result<StartupPacket> ParseStartupPacket(std::string_view body);

// ---- Frontend messages after startup ----

struct Query {
  std::string sql;
};
struct Parse {
  std::string statement;  // "" is the unnamed statement
  std::string sql;
  std::vector<uint32_t> param_types;  // 0: unspecified
};
struct Bind {
  std::string portal;
  std::string statement;
  std::vector<int16_t> param_formats;              // none: all text; one: applies to all; else one each
  std::vector<std::optional<std::string>> params;  // nullopt is NULL
  std::vector<int16_t> result_formats;             // same convention as param_formats
};
struct Describe {
  char target = 'S';  // 'S' statement, 'P' portal
  std::string name;
};
struct Execute {
  std::string portal;
  int32_t rows_max = 0;  // 0: no limit
};
struct Close {
  char target = 'S';
  std::string name;
};
struct Sync {};
struct Flush {};
struct Terminate {};
// 'p' carries a PasswordMessage, SASLInitialResponse or SASLResponse; which one depends on the
// authentication exchange, so the body is kept raw (see the Parse* functions below).
struct PasswordData {
  std::string body;
};
using FrontendMessage =
    std::variant<Query, Parse, Bind, Describe, Execute, Close, Sync, Flush, Terminate, PasswordData>;

// The body length announced by a message's length word; InvalidArgument below 4 or when the
// body would exceed kMessageBodyBytesMax.
Result<size_t> MessageBodyLength(uint32_t length_word);
// Parses one message body of type `type`. InvalidArgument for unknown types, truncated fields,
// missing terminators, trailing bytes, or counts that do not match.
Result<FrontendMessage> ParseFrontendMessage(char type, std::string_view body);

struct SaslInitialResponse {
  std::string mechanism;
  std::optional<std::string> data;  // nullopt when the length is -1
};
Result<SaslInitialResponse> ParseSaslInitialResponse(std::string_view body);
// A cleartext PasswordMessage: one NUL-terminated string.
Result<std::string> ParsePasswordMessage(std::string_view body);

// ---- Backend messages ----

// Appends messages to a caller-owned buffer. Complex messages (DataRow) are written in parts:
// BeginMessage returns the position whose length word EndMessage patches.
size_t BeginMessage(std::string* out, char type);
void EndMessage(std::string* out, size_t begin);

void AppendInt16(std::string* out, int16_t value);
void AppendInt32(std::string* out, int32_t value);
void AppendCString(std::string* out, std::string_view value);  // NUL must not occur inside

void AppendAuthenticationOk(std::string* out);
void AppendAuthenticationCleartextPassword(std::string* out);
void AppendAuthenticationSasl(std::string* out, std::span<const std::string_view> mechanisms);
void AppendAuthenticationSaslContinue(std::string* out, std::string_view data);
void AppendAuthenticationSaslFinal(std::string* out, std::string_view data);
void AppendParameterStatus(std::string* out, std::string_view name, std::string_view value);
void AppendBackendKeyData(std::string* out, int32_t pid, int32_t secret);
// status: 'I' idle, 'T' in a transaction block, 'E' in a failed transaction block.
void AppendReadyForQuery(std::string* out, char status);

struct FieldDescription {
  std::string name;
  uint32_t table_oid = 0;
  int16_t column_number = 0;
  uint32_t type_oid = 25;
  int16_t type_size = -1;  // pg_type.typlen: -1 variable
  int32_t type_modifier = -1;
  int16_t format = 0;  // 0 text, 1 binary
};
void AppendRowDescription(std::string* out, std::span<const FieldDescription> fields);
void AppendParameterDescription(std::string* out, std::span<const uint32_t> type_oids);
void AppendNoData(std::string* out);
void AppendParseComplete(std::string* out);
void AppendBindComplete(std::string* out);
void AppendCloseComplete(std::string* out);
void AppendPortalSuspended(std::string* out);
void AppendEmptyQueryResponse(std::string* out);
void AppendCommandComplete(std::string* out, std::string_view tag);

// DataRow in parts: BeginDataRow, then per column AppendNullValue or BeginValue + the value's
// bytes + EndValue, then EndMessage.
size_t BeginDataRow(std::string* out, int16_t columns);
void AppendNullValue(std::string* out);
size_t BeginValue(std::string* out);
void EndValue(std::string* out, size_t begin);

struct PgError {
  std::string severity = "ERROR";  // ERROR, FATAL, WARNING, NOTICE …
  std::string sqlstate = "XX000";
  std::string message;
  std::string detail;    // omitted when empty
  std::string hint;      // omitted when empty
  int32_t position = 0;  // 1-based character position in the query text; 0 omits it
};
void AppendErrorResponse(std::string* out, const PgError& error);
void AppendNoticeResponse(std::string* out, const PgError& notice);

// ---- Small helpers shared with the connection ----

// pg_type.typlen of a type OID (-1 for variable-length types).
int16_t PgTypeLength(uint32_t type_oid);
// Reads a big-endian int16/int32 at `at` of `bytes` (the caller checked the size).
int16_t LoadInt16(const char* at);
int32_t LoadInt32(const char* at);

}  // namespace lagoa::pg::pg

// The startup phase of a PostgreSQL connection: startup packets and authentication.
#include <spdlog/spdlog.h>

#include "pg/pg_errors.h"
#include "pg/pg_query.h"
#include "pg/pg_scram.h"

namespace lagoa::pg::pg {
namespace {

// Startup packets one connection may send: SSLRequest and GSSENCRequest (each refused once),
// then the StartupMessage.
constexpr int kStartupRoundsMax = 3;
// Bytes read at a time for a message body, so memory follows what the client actually sent
// rather than what its length word claims.
constexpr size_t kReadStepBytes = 1u << 20;

void Fatal(WireIo& wire, std::string_view state, std::string message) {
  AppendErrorResponse(&wire.out(), MakeError(state, std::move(message), "FATAL"));
  (void)wire.Flush();
}

bool ReadBody(WireIo& wire, size_t length, std::string* body) {
  body->clear();
  while (body->size() < length) {
    size_t step = std::min(kReadStepBytes, length - body->size());
    size_t at = body->size();
    body->resize(at + step);
    if (!wire.ReadExact(body->data() + at, step)) return false;
  }
  return true;
}

// Reads the authentication message the client answers with; nullopt (after a FATAL) otherwise.
std::optional<std::string> ReadPasswordData(WireIo& wire) {
  char type = 0;
  std::string body, error;
  ReadStatus status = ReadMessage(wire, &type, &body, &error);
  if (status == ReadStatus::kClosed) return std::nullopt;
  if (status == ReadStatus::kInvalid) {
    Fatal(wire, sqlstate::kProtocolViolation, error);
    return std::nullopt;
  }
  if (type != 'p') {
    Fatal(wire, sqlstate::kProtocolViolation, "expected an authentication response");
    return std::nullopt;
  }
  return body;
}

// SCRAM-SHA-256 for `user`; unknown users run the same exchange against a secret nothing matches.
bool AuthenticateScram(WireIo& wire, const ConnectionContext& context, const std::string& user) {
  static const ScramSecret kUnknownUser = ScramSecret::Unmatchable();
  auto it = context.users.find(user);
  const ScramSecret& secret = it == context.users.end() ? kUnknownUser : it->second;
  std::string_view mechanisms[] = {kScramMechanism};
  AppendAuthenticationSasl(&wire.out(), mechanisms);
  if (!wire.Flush()) return false;
  auto initial_body = ReadPasswordData(wire);
  if (!initial_body) return false;
  auto initial = ParseSaslInitialResponse(*initial_body);
  if (!initial.ok() || !initial->data.has_value()) {
    Fatal(wire, sqlstate::kProtocolViolation, "malformed SASLInitialResponse");
    return false;
  }
  if (initial->mechanism != kScramMechanism) {
    Fatal(wire, sqlstate::kInvalidAuthorization,
          "SASL authentication mechanism " + initial->mechanism + " is not supported");
    return false;
  }
  ScramExchange exchange(secret);
  auto server_first = exchange.ClientFirst(*initial->data);
  if (!server_first.ok()) {
    Fatal(wire, sqlstate::kProtocolViolation, server_first.status().message());
    return false;
  }
  AppendAuthenticationSaslContinue(&wire.out(), *server_first);
  if (!wire.Flush()) return false;
  auto final_body = ReadPasswordData(wire);
  if (!final_body) return false;
  auto server_final = exchange.ClientFinal(*final_body);
  if (!server_final.ok()) {
    if (server_final.status().code() == StatusCode::kFailedPrecondition) {
      spdlog::info("pg: password authentication failed for user \"{}\"", user);
      Fatal(wire, sqlstate::kInvalidPassword, "password authentication failed for user \"" + user + "\"");
    } else {
      Fatal(wire, sqlstate::kProtocolViolation, server_final.status().message());
    }
    return false;
  }
  AppendAuthenticationSaslFinal(&wire.out(), *server_final);
  return true;
}

}  // namespace

ReadStatus ReadMessage(WireIo& wire, char* type, std::string* body, std::string* error) {
  char header[5];
  if (!wire.ReadExact(header, sizeof(header))) return ReadStatus::kClosed;
  *type = header[0];
  auto length = MessageBodyLength(static_cast<uint32_t>(LoadInt32(header + 1)));
  if (!length.ok()) {
    *error = length.status().message();
    return ReadStatus::kInvalid;
  }
  return ReadBody(wire, *length, body) ? ReadStatus::kOk : ReadStatus::kClosed;
}

std::optional<StartupInfo> RunStartup(WireIo& wire, const ConnectionContext& context) {
  for (int round = 0; round < kStartupRoundsMax; ++round) {
    char length_word[4];
    if (!wire.ReadExact(length_word, sizeof(length_word))) return std::nullopt;
    auto length = StartupBodyLength(static_cast<uint32_t>(LoadInt32(length_word)));
    if (!length.ok()) {
      Fatal(wire, sqlstate::kProtocolViolation, length.status().message());
      return std::nullopt;
    }
    std::string body;
    if (!ReadBody(wire, *length, &body)) return std::nullopt;
    auto packet = ParseStartupPacket(body);
    if (!packet.ok()) {
      Fatal(wire, sqlstate::kProtocolViolation, packet.status().message());
      return std::nullopt;
    }
    if (std::holds_alternative<SslRequest>(*packet) || std::holds_alternative<GssEncRequest>(*packet)) {
      wire.out().push_back('N');  // no TLS or GSS encryption yet: the client goes on in clear
      if (!wire.Flush()) return std::nullopt;
      continue;
    }
    if (auto* cancel = std::get_if<CancelRequest>(&*packet)) {
      context.cancel(cancel->pid, cancel->secret);
      return std::nullopt;  // PostgreSQL answers nothing and closes
    }
    const auto& startup = std::get<StartupMessage>(*packet);
    StartupInfo info{startup.Param("user"), startup.Param("database"), startup.Param("application_name")};
    if (info.user.empty()) {
      Fatal(wire, sqlstate::kInvalidAuthorization, "no PostgreSQL user name specified in startup packet");
      return std::nullopt;
    }
    if (!context.users.empty() && !AuthenticateScram(wire, context, info.user)) return std::nullopt;
    AppendAuthenticationOk(&wire.out());
    return info;
  }
  Fatal(wire, sqlstate::kProtocolViolation, "too many startup packets");
  return std::nullopt;
}

}  // namespace lagoa::pg::pg

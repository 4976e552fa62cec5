#include "pg/pg_messages.h"

#include <cstring>

#include "base/assert.h"

namespace lagoa::pg::pg {
namespace {

// Reads a message body front to back; every read checks what is left, so no input can make it
// read out of bounds; a read that fails returns false and consumes nothing.
class BodyReader {
 public:
  explicit BodyReader(std::string_view body) : body_(body) {}

  bool Int16(int16_t* out) {
    if (body_.size() - pos_ < 2) return false;
    *out = LoadInt16(body_.data() + pos_);
    pos_ += 2;
    return true;
  }
  bool Int32(int32_t* out) {
    if (body_.size() - pos_ < 4) return false;
    *out = LoadInt32(body_.data() + pos_);
    pos_ += 4;
    return true;
  }
  bool Byte(char* out) {
    if (body_.size() - pos_ < 1) return false;
    *out = body_[pos_++];
    return true;
  }
  // A NUL-terminated string.
  bool CString(std::string* out) {
    size_t end = body_.find('\0', pos_);
    if (end == std::string_view::npos) return false;
    out->assign(body_.substr(pos_, end - pos_));
    pos_ = end + 1;
    return true;
  }
  bool Bytes(size_t n, std::string* out) {
    if (body_.size() - pos_ < n) return false;
    out->assign(body_.substr(pos_, n));
    pos_ += n;
    return true;
  }
  size_t remaining() const { return body_.size() - pos_; }
  bool at_end() const { return pos_ == body_.size(); }

 private:
  std::string_view body_;
  size_t pos_ = 0;
};

Status Malformed(std::string_view what) { return Status::InvalidArgument("invalid " + std::string(what) + " message"); }

Status CheckEnd(const BodyReader& r, std::string_view what) {
  if (!r.at_end()) return Status::InvalidArgument("invalid " + std::string(what) + " message: trailing bytes");
  return Status::Ok();
}

// A list of int16 format codes, each 0 or 1.
bool ReadFormats(BodyReader& r, std::vector<int16_t>* out) {
  int16_t count = 0;
  if (!r.Int16(&count) || count < 0 || static_cast<size_t>(count) * 2 > r.remaining()) return false;
  out->resize(static_cast<size_t>(count));
  for (auto& format : *out) {
    if (!r.Int16(&format) || (format != 0 && format != 1)) return false;
  }
  return true;
}

Result<FrontendMessage> ParseParse(std::string_view body) {
  BodyReader r(body);
  Parse m;
  int16_t count = 0;
  if (!r.CString(&m.statement) || !r.CString(&m.sql) || !r.Int16(&count) || count < 0 ||
      static_cast<size_t>(count) * 4 > r.remaining()) {
    return Malformed("Parse");
  }
  m.param_types.resize(static_cast<size_t>(count));
  for (auto& oid : m.param_types) {
    int32_t value = 0;
    if (!r.Int32(&value)) return Malformed("Parse");
    oid = static_cast<uint32_t>(value);
  }
  LAGOA_RETURN_IF_ERROR(CheckEnd(r, "Parse"));
  return FrontendMessage(std::move(m));
}

Result<FrontendMessage> ParseBind(std::string_view body) {
  BodyReader r(body);
  Bind m;
  if (!r.CString(&m.portal) || !r.CString(&m.statement) || !ReadFormats(r, &m.param_formats)) {
    return Malformed("Bind");
  }
  int16_t count = 0;
  // Each parameter takes at least its 4-byte length.
  if (!r.Int16(&count) || count < 0 || static_cast<size_t>(count) * 4 > r.remaining()) return Malformed("Bind");
  if (m.param_formats.size() > 1 && m.param_formats.size() != static_cast<size_t>(count)) {
    return Status::InvalidArgument("bind message has " + std::to_string(m.param_formats.size()) +
                                   " parameter formats but " + std::to_string(count) + " parameters");
  }
  m.params.resize(static_cast<size_t>(count));
  for (auto& param : m.params) {
    int32_t length = 0;
    if (!r.Int32(&length) || length < -1) return Malformed("Bind");
    if (length == -1) continue;
    std::string value;
    if (!r.Bytes(static_cast<size_t>(length), &value)) return Malformed("Bind");
    param = std::move(value);
  }
  if (!ReadFormats(r, &m.result_formats)) return Malformed("Bind");
  LAGOA_RETURN_IF_ERROR(CheckEnd(r, "Bind"));
  return FrontendMessage(std::move(m));
}

// Describe and Close share their layout: a target byte ('S' or 'P') and a name.
template <typename M>
Result<FrontendMessage> ParseTargetAndName(std::string_view body, std::string_view what) {
  BodyReader r(body);
  M m;
  if (!r.Byte(&m.target) || (m.target != 'S' && m.target != 'P') || !r.CString(&m.name)) return Malformed(what);
  LAGOA_RETURN_IF_ERROR(CheckEnd(r, what));
  return FrontendMessage(std::move(m));
}

template <typename M>
Result<FrontendMessage> ParseEmpty(std::string_view body, std::string_view what) {
  if (!body.empty()) return Status::InvalidArgument("invalid " + std::string(what) + " message: trailing bytes");
  return FrontendMessage(M{});
}

}  // namespace

int16_t LoadInt16(const char* at) {
  uint16_t v = static_cast<uint16_t>((static_cast<uint8_t>(at[0]) << 8) | static_cast<uint8_t>(at[1]));
  return static_cast<int16_t>(v);
}

int32_t LoadInt32(const char* at) {
  uint32_t v = (static_cast<uint32_t>(static_cast<uint8_t>(at[0])) << 24) |
               (static_cast<uint32_t>(static_cast<uint8_t>(at[1])) << 16) |
               (static_cast<uint32_t>(static_cast<uint8_t>(at[2])) << 8) |
               static_cast<uint32_t>(static_cast<uint8_t>(at[3]));
  return static_cast<int32_t>(v);
}

std::string StartupMessage::Param(std::string_view name) const {
  for (const auto& [key, value] : params) {
    if (key == name) return value;
  }
  return {};
}

Result<size_t> StartupBodyLength(uint32_t length_word) {
  if (length_word < 8 || length_word - 4 > kStartupBodyBytesMax) {
    return Status::InvalidArgument("invalid length of startup packet: " + std::to_string(length_word));
  }
  return static_cast<size_t>(length_word - 4);
}

Result<StartupPacket> ParseStartupPacket(std::string_view body) {
  BodyReader r(body);
  int32_t code = 0;
  if (!r.Int32(&code)) return Malformed("startup");
  auto ucode = static_cast<uint32_t>(code);
  if (ucode == kSslRequestCode || ucode == kGssEncRequestCode) {
    LAGOA_RETURN_IF_ERROR(CheckEnd(r, "startup"));
    if (ucode == kSslRequestCode) return StartupPacket(SslRequest{});
    return StartupPacket(GssEncRequest{});
  }
  if (ucode == kCancelRequestCode) {
    CancelRequest m;
    if (!r.Int32(&m.pid) || !r.Int32(&m.secret)) return Malformed("cancel request");
    LAGOA_RETURN_IF_ERROR(CheckEnd(r, "cancel request"));
    return StartupPacket(m);
  }
  if ((ucode >> 16) != 3) {
    return Status::InvalidArgument("unsupported frontend protocol " + std::to_string(ucode >> 16) + "." +
                                   std::to_string(ucode & 0xffff) + ": server supports 3.0");
  }
  StartupMessage m;
  m.protocol = ucode;
  // name\0value\0 pairs, ended by an empty name.
  for (;;) {
    std::string name;
    if (!r.CString(&name)) return Malformed("startup packet: parameters not terminated");
    if (name.empty()) break;
    std::string value;
    if (!r.CString(&value)) return Malformed("startup packet: parameter value not terminated");
    m.params.emplace_back(std::move(name), std::move(value));
  }
  LAGOA_RETURN_IF_ERROR(CheckEnd(r, "startup"));
  return StartupPacket(std::move(m));
}

Result<size_t> MessageBodyLength(uint32_t length_word) {
  if (length_word < 4) return Status::InvalidArgument("invalid message length " + std::to_string(length_word));
  if (length_word - 4 > kMessageBodyBytesMax) {
    return Status::InvalidArgument("message of " + std::to_string(length_word - 4) + " bytes exceeds the limit of " +
                                   std::to_string(kMessageBodyBytesMax) + " bytes");
  }
  return static_cast<size_t>(length_word - 4);
}

Result<FrontendMessage> ParseFrontendMessage(char type, std::string_view body) {
  switch (type) {
    case 'Q': {
      BodyReader r(body);
      Query m;
      if (!r.CString(&m.sql)) return Malformed("Query");
      LAGOA_RETURN_IF_ERROR(CheckEnd(r, "Query"));
      return FrontendMessage(std::move(m));
    }
    case 'P':
      return ParseParse(body);
    case 'B':
      return ParseBind(body);
    case 'D':
      return ParseTargetAndName<Describe>(body, "Describe");
    case 'C':
      return ParseTargetAndName<Close>(body, "Close");
    case 'E': {
      BodyReader r(body);
      Execute m;
      if (!r.CString(&m.portal) || !r.Int32(&m.rows_max)) return Malformed("Execute");
      LAGOA_RETURN_IF_ERROR(CheckEnd(r, "Execute"));
      if (m.rows_max < 0) m.rows_max = 0;  // PostgreSQL treats a negative limit as none
      return FrontendMessage(std::move(m));
    }
    case 'S':
      return ParseEmpty<Sync>(body, "Sync");
    case 'H':
      return ParseEmpty<Flush>(body, "Flush");
    case 'X':
      return ParseEmpty<Terminate>(body, "Terminate");
    case 'p':
      return FrontendMessage(PasswordData{std::string(body)});
    default: {
      unsigned code = static_cast<uint8_t>(type);
      return Status::InvalidArgument("invalid frontend message type " + std::to_string(code));
    }
  }
}

Result<SaslInitialResponse> ParseSaslInitialResponse(std::string_view body) {
  BodyReader r(body);
  SaslInitialResponse m;
  int32_t length = 0;
  if (!r.CString(&m.mechanism) || !r.Int32(&length) || length < -1) return Malformed("SASLInitialResponse");
  if (length >= 0) {
    std::string data;
    if (!r.Bytes(static_cast<size_t>(length), &data)) return Malformed("SASLInitialResponse");
    m.data = std::move(data);
  }
  LAGOA_RETURN_IF_ERROR(CheckEnd(r, "SASLInitialResponse"));
  return m;
}

Result<std::string> ParsePasswordMessage(std::string_view body) {
  BodyReader r(body);
  std::string password;
  if (!r.CString(&password)) return Malformed("password");
  LAGOA_RETURN_IF_ERROR(CheckEnd(r, "password"));
  return password;
}

// ---- Backend ----

void AppendInt16(std::string* out, int16_t value) {
  auto v = static_cast<uint16_t>(value);
  out->push_back(static_cast<char>(v >> 8));
  out->push_back(static_cast<char>(v & 0xff));
}

void AppendInt32(std::string* out, int32_t value) {
  auto v = static_cast<uint32_t>(value);
  for (int shift = 24; shift >= 0; shift -= 8) out->push_back(static_cast<char>((v >> shift) & 0xff));
}

void AppendCString(std::string* out, std::string_view value) {
  // A NUL inside would end the string early on the client; cut there instead of misframing.
  out->append(value.substr(0, value.find('\0')));
  out->push_back('\0');
}

size_t BeginMessage(std::string* out, char type) {
  out->push_back(type);
  size_t begin = out->size();
  out->append(4, '\0');
  return begin;
}

void EndMessage(std::string* out, size_t begin) {
  size_t length = out->size() - begin;
  LAGOA_ASSERT(length >= 4 && length <= 0x7fffffff);
  auto v = static_cast<uint32_t>(length);
  for (int i = 0; i < 4; ++i) (*out)[begin + static_cast<size_t>(i)] = static_cast<char>((v >> (24 - 8 * i)) & 0xff);
}

namespace {

void AppendAuthentication(std::string* out, int32_t code, std::string_view data) {
  size_t m = BeginMessage(out, 'R');
  AppendInt32(out, code);
  out->append(data);
  EndMessage(out, m);
}

void AppendEmptyMessage(std::string* out, char type) {
  size_t m = BeginMessage(out, type);
  EndMessage(out, m);
}

void AppendErrorFields(std::string* out, char type, const PgError& e) {
  size_t m = BeginMessage(out, type);
  out->push_back('S');
  AppendCString(out, e.severity);
  out->push_back('V');  // the non-localized severity (protocol 3.0, PostgreSQL 9.6+)
  AppendCString(out, e.severity);
  out->push_back('C');
  AppendCString(out, e.sqlstate);
  out->push_back('M');
  AppendCString(out, e.message);
  if (!e.detail.empty()) {
    out->push_back('D');
    AppendCString(out, e.detail);
  }
  if (!e.hint.empty()) {
    out->push_back('H');
    AppendCString(out, e.hint);
  }
  if (e.position > 0) {
    out->push_back('P');
    AppendCString(out, std::to_string(e.position));
  }
  out->push_back('\0');
  EndMessage(out, m);
}

}  // namespace

void AppendAuthenticationOk(std::string* out) { AppendAuthentication(out, 0, {}); }
void AppendAuthenticationCleartextPassword(std::string* out) { AppendAuthentication(out, 3, {}); }

void AppendAuthenticationSasl(std::string* out, std::span<const std::string_view> mechanisms) {
  size_t m = BeginMessage(out, 'R');
  AppendInt32(out, 10);
  for (auto mechanism : mechanisms) AppendCString(out, mechanism);
  out->push_back('\0');
  EndMessage(out, m);
}

void AppendAuthenticationSaslContinue(std::string* out, std::string_view data) { AppendAuthentication(out, 11, data); }
void AppendAuthenticationSaslFinal(std::string* out, std::string_view data) { AppendAuthentication(out, 12, data); }

void AppendParameterStatus(std::string* out, std::string_view name, std::string_view value) {
  size_t m = BeginMessage(out, 'S');
  AppendCString(out, name);
  AppendCString(out, value);
  EndMessage(out, m);
}

void AppendBackendKeyData(std::string* out, int32_t pid, int32_t secret) {
  size_t m = BeginMessage(out, 'K');
  AppendInt32(out, pid);
  AppendInt32(out, secret);
  EndMessage(out, m);
}

void AppendReadyForQuery(std::string* out, char status) {
  LAGOA_ASSERT(status == 'I' || status == 'T' || status == 'E');
  size_t m = BeginMessage(out, 'Z');
  out->push_back(status);
  EndMessage(out, m);
}

void AppendRowDescription(std::string* out, std::span<const FieldDescription> fields) {
  LAGOA_ASSERT(fields.size() <= kParamsMax);
  size_t m = BeginMessage(out, 'T');
  AppendInt16(out, static_cast<int16_t>(fields.size()));
  for (const auto& f : fields) {
    AppendCString(out, f.name);
    AppendInt32(out, static_cast<int32_t>(f.table_oid));
    AppendInt16(out, f.column_number);
    AppendInt32(out, static_cast<int32_t>(f.type_oid));
    AppendInt16(out, f.type_size);
    AppendInt32(out, f.type_modifier);
    AppendInt16(out, f.format);
  }
  EndMessage(out, m);
}

void AppendParameterDescription(std::string* out, std::span<const uint32_t> type_oids) {
  LAGOA_ASSERT(type_oids.size() <= kParamsMax);
  size_t m = BeginMessage(out, 't');
  AppendInt16(out, static_cast<int16_t>(type_oids.size()));
  for (uint32_t oid : type_oids) AppendInt32(out, static_cast<int32_t>(oid));
  EndMessage(out, m);
}

void AppendNoData(std::string* out) { AppendEmptyMessage(out, 'n'); }
void AppendParseComplete(std::string* out) { AppendEmptyMessage(out, '1'); }
void AppendBindComplete(std::string* out) { AppendEmptyMessage(out, '2'); }
void AppendCloseComplete(std::string* out) { AppendEmptyMessage(out, '3'); }
void AppendPortalSuspended(std::string* out) { AppendEmptyMessage(out, 's'); }
void AppendEmptyQueryResponse(std::string* out) { AppendEmptyMessage(out, 'I'); }

void AppendCommandComplete(std::string* out, std::string_view tag) {
  size_t m = BeginMessage(out, 'C');
  AppendCString(out, tag);
  EndMessage(out, m);
}

size_t BeginDataRow(std::string* out, int16_t columns) {
  size_t m = BeginMessage(out, 'D');
  AppendInt16(out, columns);
  return m;
}

void AppendNullValue(std::string* out) { AppendInt32(out, -1); }

size_t BeginValue(std::string* out) {
  size_t begin = out->size();
  out->append(4, '\0');
  return begin;
}

void EndValue(std::string* out, size_t begin) {
  size_t length = out->size() - begin - 4;
  LAGOA_ASSERT(length <= 0x7fffffff);
  auto v = static_cast<uint32_t>(length);
  for (int i = 0; i < 4; ++i) (*out)[begin + static_cast<size_t>(i)] = static_cast<char>((v >> (24 - 8 * i)) & 0xff);
}

void AppendErrorResponse(std::string* out, const PgError& error) { AppendErrorFields(out, 'E', error); }
void AppendNoticeResponse(std::string* out, const PgError& notice) { AppendErrorFields(out, 'N', notice); }

int16_t PgTypeLength(uint32_t type_oid) {
  switch (type_oid) {
    case 16:  // bool
      return 1;
    case 21:  // int2
      return 2;
    case 23:    // int4
    case 700:   // float4
    case 1082:  // date
      return 4;
    case 20:    // int8
    case 701:   // float8
    case 1083:  // time
    case 1114:  // timestamp
    case 1184:  // timestamptz
      return 8;
    case 1186:  // interval
    case 2950:  // uuid
      return 16;
    default:
      return -1;
  }
}

}  // namespace lagoa::pg::pg

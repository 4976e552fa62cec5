// libFuzzer target for the PostgreSQL frontend message parser: the input is read as a connection
// would read it — one startup packet, then typed messages — through the same length checks, and
// every 'p' body is also parsed as each authentication message.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "pg/pg_messages.h"

namespace pg = lagoa::pg::pg;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  if (in.size() < 4) return 0;
  auto startup_length = pg::StartupBodyLength(static_cast<uint32_t>(pg::LoadInt32(in.data())));
  if (!startup_length.ok() || in.size() - 4 < *startup_length) return 0;
  auto startup = pg::ParseStartupPacket(in.substr(4, *startup_length));
  if (!startup.ok()) return 0;
  in.remove_prefix(4 + *startup_length);
  while (in.size() >= 5) {
    char type = in[0];
    auto length = pg::MessageBodyLength(static_cast<uint32_t>(pg::LoadInt32(in.data() + 1)));
    if (!length.ok() || in.size() - 5 < *length) return 0;
    std::string_view body = in.substr(5, *length);
    auto message = pg::ParseFrontendMessage(type, body);
    if (message.ok() && std::holds_alternative<pg::PasswordData>(*message)) {
      pg::ParseSaslInitialResponse(body).status().IgnoreError();
      pg::ParsePasswordMessage(body).status().IgnoreError();
    }
    in.remove_prefix(5 + *length);
  }
  return 0;
}

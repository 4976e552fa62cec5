#include "http_reply.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace lagoa::bench {
namespace {

constexpr size_t kHeadBytesMax = 64 * 1024;

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

bool ContainsIgnoreCase(std::string_view haystack, std::string_view needle) {
  for (size_t i = 0; i + needle.size() <= haystack.size(); ++i) {
    if (EqualsIgnoreCase(haystack.substr(i, needle.size()), needle)) return true;
  }
  return false;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Decodes a chunked body starting at `pos`; sets reply.consumed_bytes when complete.
ParseOutcome ParseChunks(std::string_view in, size_t pos, HttpReply& reply, std::string& body) {
  body.clear();
  while (true) {
    const size_t line_end = in.find("\r\n", pos);
    if (line_end == std::string_view::npos) return ParseOutcome::kNeedMore;
    std::string_view size_text = in.substr(pos, line_end - pos);
    size_text = size_text.substr(0, size_text.find(';'));
    size_t size = 0;
    auto [ptr, ec] = std::from_chars(size_text.data(), size_text.data() + size_text.size(), size, 16);
    if (ec != std::errc() || size_text.empty()) return ParseOutcome::kMalformed;
    pos = line_end + 2;
    if (size == 0) {
      if (in.substr(pos, 2) == "\r\n") {
        reply.consumed_bytes = pos + 2;
      } else {
        const size_t trailer_end = in.find("\r\n\r\n", pos);
        if (trailer_end == std::string_view::npos) return ParseOutcome::kNeedMore;
        reply.consumed_bytes = trailer_end + 4;
      }
      reply.body = body;
      return ParseOutcome::kComplete;
    }
    if (in.size() < pos + size + 2) return ParseOutcome::kNeedMore;
    body.append(in.substr(pos, size));
    pos += size + 2;
  }
}

}  // namespace

ParseOutcome ParseHttpReply(std::string_view in, HttpReply& reply, std::string& chunked_body) {
  const size_t head_end = in.find("\r\n\r\n");
  if (head_end == std::string_view::npos) {
    return in.size() > kHeadBytesMax ? ParseOutcome::kMalformed : ParseOutcome::kNeedMore;
  }
  // "HTTP/1.1 200 OK"
  if (in.size() < 12 || in.substr(0, 5) != "HTTP/") return ParseOutcome::kMalformed;
  const size_t space = in.find(' ');
  if (space == std::string_view::npos || space + 4 > head_end) return ParseOutcome::kMalformed;
  int status = 0;
  auto [ptr, ec] = std::from_chars(in.data() + space + 1, in.data() + space + 4, status);
  if (ec != std::errc()) return ParseOutcome::kMalformed;
  reply = HttpReply{};
  reply.status = status;
  reply.close = in.substr(0, space) == "HTTP/1.0";

  long long content_length = -1;
  bool chunked = false;
  size_t pos = in.find("\r\n") + 2;
  while (pos < head_end) {
    const size_t line_end = in.find("\r\n", pos);
    const std::string_view line = in.substr(pos, line_end - pos);
    pos = line_end + 2;
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) return ParseOutcome::kMalformed;
    const std::string_view name = Trim(line.substr(0, colon));
    const std::string_view value = Trim(line.substr(colon + 1));
    if (EqualsIgnoreCase(name, "content-length")) {
      auto [p, e] = std::from_chars(value.data(), value.data() + value.size(), content_length);
      if (e != std::errc() || content_length < 0) return ParseOutcome::kMalformed;
    } else if (EqualsIgnoreCase(name, "transfer-encoding")) {
      chunked = ContainsIgnoreCase(value, "chunked");
    } else if (EqualsIgnoreCase(name, "connection")) {
      if (ContainsIgnoreCase(value, "close")) reply.close = true;
      if (ContainsIgnoreCase(value, "keep-alive")) reply.close = false;
    }
  }
  const size_t body_start = head_end + 4;
  if (chunked) return ParseChunks(in, body_start, reply, chunked_body);
  const size_t length = content_length < 0 ? 0 : static_cast<size_t>(content_length);
  if (in.size() < body_start + length) return ParseOutcome::kNeedMore;
  reply.body = in.substr(body_start, length);
  reply.consumed_bytes = body_start + length;
  return ParseOutcome::kComplete;
}

long long AcceptedCount(std::string_view body) {
  constexpr std::string_view kKey = "\"accepted\":";
  const size_t at = body.find(kKey);
  if (at == std::string_view::npos) return -1;
  std::string_view rest = Trim(body.substr(at + kKey.size()));
  long long n = -1;
  std::from_chars(rest.data(), rest.data() + rest.size(), n);
  return n;
}

}  // namespace lagoa::bench

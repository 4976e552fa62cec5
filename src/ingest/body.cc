#include "ingest/body.h"

#include <fmt/format.h>
#include <simdjson.h>
#include <zlib.h>
#include <zstd.h>

namespace lagoa::ingest {
namespace {

constexpr size_t kChunkBytes = 64 * 1024;

Status TooLarge(uint64_t max_bytes) {
  return Status::OutOfRange(
      fmt::format("decompressed request body exceeds the limit of {} bytes (max_body_bytes)", max_bytes));
}

Status Gunzip(std::string_view in, uint64_t max_bytes, std::string* out) {
  z_stream zs{};
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) return Status::Internal("zlib: inflateInit2 failed");
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    size_t at = out->size();
    if (at >= max_bytes + 1) {
      inflateEnd(&zs);
      return TooLarge(max_bytes);
    }
    out->resize(at + kChunkBytes);
    zs.next_out = reinterpret_cast<Bytef*>(out->data() + at);
    zs.avail_out = kChunkBytes;
    rc = inflate(&zs, Z_NO_FLUSH);
    out->resize(at + kChunkBytes - zs.avail_out);
    if (rc == Z_STREAM_END && zs.avail_in > 0) {
      // Concatenated gzip members (as `cat a.gz b.gz` makes) are one stream.
      if (inflateReset(&zs) != Z_OK) break;
      rc = Z_OK;
      continue;
    }
    if (rc == Z_BUF_ERROR && zs.avail_in == 0) {
      inflateEnd(&zs);
      return Status::InvalidArgument("gzip body is truncated");
    }
    if (rc != Z_OK && rc != Z_STREAM_END) {
      std::string why = zs.msg != nullptr ? zs.msg : "corrupt data";
      inflateEnd(&zs);
      return Status::InvalidArgument(fmt::format("gzip body cannot be decompressed: {}", why));
    }
  }
  inflateEnd(&zs);
  if (out->size() > max_bytes) return TooLarge(max_bytes);
  return Status::Ok();
}

Status Unzstd(std::string_view in, uint64_t max_bytes, std::string* out) {
  ZSTD_DCtx* ctx = ZSTD_createDCtx();
  if (ctx == nullptr) return Status::Internal("zstd: cannot create a decompression context");
  ZSTD_inBuffer input{in.data(), in.size(), 0};
  size_t last = 1;
  while (input.pos < input.size || last != 0) {
    size_t at = out->size();
    if (at > max_bytes) {
      ZSTD_freeDCtx(ctx);
      return TooLarge(max_bytes);
    }
    out->resize(at + kChunkBytes);
    ZSTD_outBuffer output{out->data() + at, kChunkBytes, 0};
    last = ZSTD_decompressStream(ctx, &output, &input);
    out->resize(at + output.pos);
    if (ZSTD_isError(last)) {
      std::string why = ZSTD_getErrorName(last);
      ZSTD_freeDCtx(ctx);
      return Status::InvalidArgument(fmt::format("zstd body cannot be decompressed: {}", why));
    }
    if (input.pos == input.size && output.pos == 0 && last != 0) {
      ZSTD_freeDCtx(ctx);
      return Status::InvalidArgument("zstd body is truncated");
    }
  }
  ZSTD_freeDCtx(ctx);
  if (out->size() > max_bytes) return TooLarge(max_bytes);
  return Status::Ok();
}

bool IsBlank(std::string_view s) {
  for (char c : s) {
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n') return false;
  }
  return true;
}

char FirstNonBlank(std::string_view s) {
  for (char c : s) {
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n') return c;
  }
  return '\0';
}

Result<std::vector<EventDocument>> SplitArray(std::string_view body) {
  simdjson::ondemand::parser parser;
  simdjson::padded_string_view padded(body.data(), body.size(), body.size() + kJsonPaddingBytes);
  simdjson::ondemand::document doc;
  simdjson::ondemand::array array;
  auto error = parser.iterate(padded).get(doc);
  if (!error) error = doc.get_array().get(array);
  if (error) {
    return Status::InvalidArgument(fmt::format("body is not a JSON array: {}", simdjson::error_message(error)));
  }
  std::vector<EventDocument> docs;
  uint64_t index = 0;
  for (auto element : array) {
    ++index;
    simdjson::ondemand::value value;
    std::string_view text;
    error = element.get(value);
    if (!error) {
      simdjson::ondemand::json_type type;
      error = value.type().get(type);
      if (!error) {
        if (type == simdjson::ondemand::json_type::object) {
          simdjson::ondemand::object object;
          error = value.get_object().get(object);
          if (!error) error = object.raw_json().get(text);
        } else if (type == simdjson::ondemand::json_type::array) {
          simdjson::ondemand::array inner;
          error = value.get_array().get(inner);
          if (!error) error = inner.raw_json().get(text);
        } else {
          text = value.raw_json_token();
        }
      }
    }
    if (error) {
      return Status::InvalidArgument(fmt::format("JSON array element {}: {}", index, simdjson::error_message(error)));
    }
    // simdjson's raw text of the last element runs up to the closing bracket, spaces included.
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\n' || text.back() == '\r')) {
      text.remove_suffix(1);
    }
    docs.push_back({index, text});
  }
  const char* trailing = nullptr;
  if (doc.current_location().get(trailing) == simdjson::SUCCESS) {
    return Status::InvalidArgument(
        fmt::format("unexpected content after the JSON array at byte {}", trailing - body.data()));
  }
  if (docs.empty()) return Status::InvalidArgument("empty JSON array: expected at least one event");
  return docs;
}

}  // namespace

size_t PadBody(std::string& body) {
  size_t size = body.size();
  body.append(kJsonPaddingBytes, ' ');
  return size;
}

Status DecodeContent(std::string_view encoding, std::string&& body, uint64_t max_bytes, std::string* out) {
  out->clear();
  if (encoding.empty() || encoding == "identity") {
    *out = std::move(body);
    return Status::Ok();
  }
  if (encoding == "gzip" || encoding == "x-gzip") return Gunzip(body, max_bytes, out);
  if (encoding == "zstd") return Unzstd(body, max_bytes, out);
  return Status::InvalidArgument(
      fmt::format("Content-Encoding `{}` is not supported; expected gzip, zstd or identity", encoding));
}

BodyFormat DetectBodyFormat(std::string_view content_type, std::string_view body) {
  if (content_type == "application/x-ndjson" || content_type == "application/jsonl" ||
      content_type == "application/x-jsonlines" || content_type == "application/ndjson") {
    return BodyFormat::kNdjson;
  }
  char first = FirstNonBlank(body);
  if (first == '[') return BodyFormat::kJsonArray;
  if (content_type == "application/json") return BodyFormat::kJsonObject;
  return BodyFormat::kNdjson;
}

Result<std::vector<EventDocument>> SplitEvents(std::string_view body, BodyFormat format) {
  if (IsBlank(body)) {
    return Status::InvalidArgument("empty body: expected NDJSON lines, a JSON array or one JSON object");
  }
  switch (format) {
    case BodyFormat::kJsonArray:
      return SplitArray(body);
    case BodyFormat::kJsonObject:
      return std::vector<EventDocument>{{1, body}};
    case BodyFormat::kNdjson:
      break;
  }
  std::vector<EventDocument> docs;
  uint64_t line = 0;
  size_t start = 0;
  while (start < body.size()) {
    size_t end = body.find('\n', start);
    if (end == std::string_view::npos) end = body.size();
    ++line;
    std::string_view text = body.substr(start, end - start);
    if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
    if (!IsBlank(text)) docs.push_back({line, text});
    start = end + 1;
  }
  return docs;
}

}  // namespace lagoa::ingest

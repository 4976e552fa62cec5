// Reading the parts of a request head into HttpRequest. Internal to src/http: the server calls
// them for each request it reads. Threads: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "http/http_server.h"

namespace lagoa::http {

// Sets `request`'s path (percent-decoded) and query parameters from a request target; false on a
// malformed escape in the path (a malformed parameter is skipped).
bool ParseTarget(std::string_view target, HttpRequest* request);
// A Content-Type without its parameters, lower case: "application/x-ndjson".
std::string MediaType(std::string_view content_type);
std::string Lower(std::string_view s);

}  // namespace lagoa::http

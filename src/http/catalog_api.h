// CatalogApi: the /v1/catalog routes, a thin adapter over catalog::Catalog: GET /v1/catalog lists
// every named object, GET /v1/catalog/NAME describes one, PUT /v1/catalog/NAME/columns/COLUMN/tags
// sets a column's tags (src/http/README.md has the bodies).
//
// Lifecycle: constructed over the node's catalog, which must outlive it. Threads: Handle() runs on
// HTTP I/O threads; the catalog reads its sources in memory (a view's lineage is parsed by DuckDB,
// which takes microseconds).
#pragma once

#include "catalog/catalog.h"
#include "http/http_server.h"

namespace lagoa::http {

class CatalogApi {
 public:
  explicit CatalogApi(catalog::Catalog* catalog) : catalog_(catalog) {}

  // Requests whose path is /v1/catalog or starts with /v1/catalog/.
  static bool Owns(const HttpRequest& request);
  void Handle(HttpRequest&& request, Responder respond);

 private:
  catalog::Catalog* const catalog_;
};

}  // namespace lagoa::http

// libFuzzer target for the model template parser: any bytes as a model file, parsed, and rendered
// both ways (is_incremental() true and false) when they parse.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "models/model_template.h"

namespace models = lagoa::models;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = models::ModelTemplate::Parse(text, "models/fuzz.sql");
  if (!parsed.ok()) return 0;
  models::RenderContext context;
  context.ref = [](const models::NameUse& ref) -> lagoa::Result<std::string> { return ref.name; };
  context.source = [](const models::NameUse& source) -> lagoa::Result<std::string> { return source.name; };
  context.this_relation = "this";
  context.vars = {{"day", "2024-01-01"}};
  for (bool incremental : {false, true}) {
    context.is_incremental = incremental;
    parsed->Render(context).status().IgnoreError();
  }
  return 0;
}

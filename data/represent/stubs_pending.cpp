// Modes not implemented yet: each throws a clear error (removed as they land).
#include "data/represent/modes.h"
#include "engine/error.h"

namespace varstar::data::repr {

void build_dmdt(const RepresentationSpec& spec, const std::vector<CatalogRow>&, const LightCurveSet*,
                std::span<const int64_t>, std::span<const int32_t>, const ProgressFn&, RepresentationBatch&) {
  throw Error(fmt::format("representation '{}' is not implemented yet", spec.mode));
}
void build_classpair(const RepresentationSpec& spec, const std::vector<CatalogRow>&, std::span<const int32_t>,
                     std::span<const int32_t>, const ProgressFn&, RepresentationBatch&) {
  throw Error(fmt::format("representation '{}' is not implemented yet", spec.mode));
}
void build_folded(const RepresentationSpec& spec, const std::vector<CatalogRow>&, const LightCurveSet&,
                  std::span<const int64_t>, std::span<const int32_t>, const ProgressFn&, RepresentationBatch&) {
  throw Error(fmt::format("representation '{}' is not implemented yet", spec.mode));
}

}  // namespace varstar::data::repr

#pragma once
// Builders of the individual representation modes, called by
// build_representation() (represent.cpp) after it has validated the inputs
// and resolved every row's catalog quantities. Internal to data/represent.
#include <span>
#include <vector>

#include "data/represent/represent.h"
#include "data/types.h"

namespace varstar::data::repr {

// harmonic-thesis, harmonic-text, harmonic-shape.
void build_harmonic(const RepresentationSpec& spec, const std::vector<CatalogRow>& rows, Device device,
                    RepresentationBatch& out);

// dmdt-lightcurve (curves given) and dmdt-catalog (curves == nullptr: synthesised).
// curve_index: (rows.size()) index into curves->curves per row.
void build_dmdt(const RepresentationSpec& spec, const std::vector<CatalogRow>& rows, const LightCurveSet* curves,
                std::span<const int64_t> curve_index, std::span<const int32_t> bands, const RepresentationProgress& progress,
                Device device, RepresentationBatch& out);

// dmdt-thesis-classpair.
void build_classpair(const RepresentationSpec& spec, const std::vector<CatalogRow>& rows,
                     std::span<const int32_t> labels, std::span<const int32_t> split_of,
                     const RepresentationProgress& progress, RepresentationBatch& out);

// folded.
void build_folded(const RepresentationSpec& spec, const std::vector<CatalogRow>& rows, const LightCurveSet& curves,
                  std::span<const int64_t> curve_index, std::span<const int32_t> bands, const RepresentationProgress& progress,
                  RepresentationBatch& out);

}  // namespace varstar::data::repr

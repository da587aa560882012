#pragma once
// `varstar render`'s library side: one star's representations drawn as PNG
// and SVG so a person can look at them.
//   <id>_lightcurve: the observations folded at the period (two cycles) with
//                    the robust Fourier fit per band, and below it the
//                    harmonic-thesis input (raw r magnitudes, phase 0..2) next
//                    to the same model in the catalog's phase convention;
//   <id>_dmdt:       dm-dt images per band with the thesis edges (|dm|) and
//                    Mahabal et al. 2017's (signed dm): dmdt-lightcurve when the
//                    star has a light curve, else dmdt-catalog;
//   <id>_classpair:  the thesis scripts' class-pair image, when the catalog
//                    holds other stars of the star's class - it USES THE LABEL
//                    and says so in the figure, in the PNG's tEXt and here.
#include <string>
#include <vector>

#include "data/represent/represent.h"
#include "data/types.h"

namespace varstar::image {

struct RenderInput {
  std::vector<data::CatalogRow> rows;           // the catalog (the class-pair image needs the star's class)
  const data::LightCurveSet* curves = nullptr;  // optional
  std::string star_id;
  std::string provenance;                       // one line: where the data came from (e.g. the simulated notice)
};

struct RenderResult {
  std::vector<std::string> files;     // written paths
  std::vector<std::string> warnings;  // to print on the terminal
};

// Throws varstar::Error when the star is not in rows.
RenderResult render_star(const RenderInput& input, const std::string& out_dir);

}  // namespace varstar::image

#pragma once
// Simulates the built-in data set and writes it in the formats `varstar
// prepare` reads: Table2.txt (CDS), Table2.csv, lightcurves.csv, labels.csv,
// catalog.csv (id,Per) and README.txt - every file marked as SIMULATED.
#include <string>

#include "data/sim/simulate.h"

namespace varstar::sim {

// Returns the summary text (class counts, baseline) that README.txt holds.
std::string write_simulated_set(const SimOptions& options, const std::string& dir, const SimProgress& progress = {});

}  // namespace varstar::sim

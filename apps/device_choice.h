#pragma once
// --device and --threads as every command applies them: sets the CPU thread
// count, resolves cpu | cuda | cuda:N | auto, and prints the one-line note when
// a requested GPU is not usable (the run then continues on the CPU).
#include <string>

#include "engine/device.h"
#include "train/progress.h"

namespace varstar::app {
Device choose_device(const std::string& choice, int threads);
// The same, the note through `progress`, which prints it once however often the trainer raises it again.
Device choose_device(const std::string& choice, int threads, train::Progress& progress);

// --device's help where the command computes representations (prepare).
inline constexpr const char* kRepresentationDeviceHelp =
    "cpu | cuda | cuda:N | auto. On a GPU: the dm-dt binning of dmdt-lightcurve and dmdt-catalog and the "
    "synthesis of harmonic-* (same cache, same dm-dt images bit for bit); folded, dmdt-thesis-classpair, Fourier "
    "fits, cleaning and folds run on the CPU. Without a usable GPU: the CPU, with one message";
}  // namespace varstar::app

// `varstar render`: one star's synthesised light curve and dm-dt images as
// PNG and SVG (data/image/render.h). Reads a data folder as `varstar simulate`
// writes it (Table2.txt or Table2.csv, lightcurves.csv) or in the light-curve
// layout of ../shared/data (lightcurves.csv, catalog.csv with id,Per, labels.csv).
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>

#include "apps/command.h"
#include "data/catalog_io.h"
#include "data/image/render.h"
#include "data/lightcurve_io.h"
#include "data/sim/simulate.h"
#include "engine/error.h"

namespace {

struct RenderArgs {
  std::string star;
  std::string data = "varstar-data/builtin";
  std::string out = "varstar-render";
};

void run_render(const RenderArgs& args) {
  namespace fs = std::filesystem;
  const fs::path dir(args.data);
  VARSTAR_CHECK(fs::is_directory(dir), "data folder '{}' not found (run `varstar simulate` first, or give --data)",
                args.data);
  varstar::image::RenderInput in;
  in.star_id = args.star;
  if (fs::exists(dir / "Table2.txt") || fs::exists(dir / "Table2.csv")) {
    const fs::path cat = fs::exists(dir / "Table2.txt") ? dir / "Table2.txt" : dir / "Table2.csv";
    std::fprintf(stderr, "reading %s ...\n", cat.c_str());
    varstar::data::CatalogReadOptions options;
    options.known_types.clear();
    in.rows = varstar::data::read_catalog(cat.string(), options).rows;
  } else {
    VARSTAR_CHECK(fs::exists(dir / "catalog.csv"), "'{}' holds neither Table2.txt/Table2.csv nor catalog.csv",
                  args.data);
    const auto table = varstar::data::read_star_table((dir / "catalog.csv").string());
    varstar::data::LabelTable labels;
    if (fs::exists(dir / "labels.csv")) labels = varstar::data::read_labels((dir / "labels.csv").string());
    std::map<std::string, std::string> type_of;
    for (size_t i = 0; i < labels.ids.size(); ++i) type_of[labels.ids[i]] = labels.types[i];
    const auto& per = table.column("Per");
    for (size_t i = 0; i < table.ids.size(); ++i) {
      varstar::data::CatalogRow row;
      row.id = table.ids[i];
      row.period = per[i];
      row.type = type_of.count(row.id) ? type_of[row.id] : "unknown";
      in.rows.push_back(row);
    }
  }
  varstar::data::LightCurveData curves;
  if (fs::exists(dir / "lightcurves.csv")) {
    std::fprintf(stderr, "reading %s ...\n", (dir / "lightcurves.csv").c_str());
    curves = varstar::data::read_lightcurves((dir / "lightcurves.csv").string());
    in.curves = &curves.set;
  }
  bool simulated = false;
  if (std::ifstream readme(dir / "README.txt"); readme) {
    std::string first;
    std::getline(readme, first);
    simulated = first.rfind("SIMULATED", 0) == 0;
  }
  in.provenance = simulated ? "SIMULATED DATA (varstar's built-in set): no star here was observed"
                            : "data: " + fs::absolute(dir).string();
  if (simulated) std::fprintf(stderr, "%s\n", varstar::sim::kSimulatedNotice);
  const auto result = varstar::image::render_star(in, args.out);
  for (const auto& w : result.warnings) std::fprintf(stderr, "WARNING: %s\n", w.c_str());
  for (const auto& f : result.files) std::printf("wrote %s\n", f.c_str());
}

varstar::app::RegisterCommand register_render{
    {"render", "Draw one star's synthesised light curve and dm-dt images as PNG and SVG; runs on the CPU", 40, [](CLI::App& app) {
       auto args = std::make_shared<RenderArgs>();
       app.add_option("--star", args->star, "star ID (as in the catalog)")->required();
       app.add_option("--data", args->data, "data folder (varstar simulate's output, or id/Per/labels CSVs)")
           ->capture_default_str();
       app.add_option("--out", args->out, "output folder for the PNG and SVG files")->capture_default_str();
       app.callback([args] { run_render(*args); });
     }}};

}  // namespace

// The experiment presets (see presets.h). The thesis rows follow
// ../shared/THESIS.md: Adam lr 2e-4, 100 epochs, batch 32, shuffled KFold(5,
// seed 42), thesis cleaning; the 2D-CNN rows use the scripts' network and
// class-pair dm-dt images, which read the labels of the test stars.
#include "train/presets.h"

#include "engine/error.h"

namespace varstar::train {

namespace {

TrainConfig thesis_config(const std::string& model, double weight_decay) {
  TrainConfig c;
  c.model = model;
  c.epochs = 100;
  c.batch = 32;
  c.lr = 2e-4;
  c.optimizer = "adam";
  c.weight_decay = weight_decay;
  c.seed = 42;
  return c;
}

Preset thesis_cnnlstm(const std::string& classes, const std::string& per_class, const std::string& result) {
  const std::string size = per_class == "all" ? "all stars" : per_class + " per class";
  return {fmt::format("thesis-{}class{}-cnnlstm", classes, per_class == "all" ? "-all" : ""),
          fmt::format("thesis CNN-LSTM, {} classes, {}, harmonic synthesis as the scripts (359 points)", classes, size),
          classes, per_class, "thesis", "cnn-lstm", "harmonic-thesis", thesis_config("cnn-lstm", 0.0), result};
}

Preset thesis_2dcnn(const std::string& classes, const std::string& per_class, const std::string& result) {
  const std::string size = per_class == "all" ? "all stars" : per_class + " per class";
  return {fmt::format("thesis-{}class{}-2dcnn", classes, per_class == "all" ? "-all" : ""),
          fmt::format("thesis 2D-CNN (scripts' network), {} classes, {}, class-pair dm-dt images: USES THE TEST STARS' "
                      "LABELS", classes, size),
          classes, per_class, "thesis", "2d-cnn", "dmdt-thesis-classpair", thesis_config("cnn2d-scripts", 1e-4), result};
}

}  // namespace

const std::vector<Preset>& presets() {
  static const std::vector<Preset> all = [] {
    std::vector<Preset> p = {
        thesis_cnnlstm("5", "1000", "74.28% accuracy, weighted F1 0.7384"),
        thesis_cnnlstm("10", "1000", "66.27% accuracy"),
        thesis_cnnlstm("5", "all", "90.04% accuracy, weighted F1 0.8967"),
        thesis_2dcnn("5", "1000", "94.64% accuracy, weighted F1 0.9379 (label leak)"),
        thesis_2dcnn("10", "1000", "88.74% accuracy (label leak)"),
        thesis_2dcnn("5", "all", "99.95% accuracy (label leak)"),
    };
    Preset shape{"varstar-5class-cnnlstm",
                 "ours: CNN-LSTM on r and g light-curve shapes (harmonic-shape, 2 x 128), stratified folds, cosine "
                 "learning rate",
                 "5", "1000", "stratified", "cnn-lstm", "harmonic-shape", thesis_config("cnn-lstm", 0.0), ""};
    shape.train.lr = 1e-3;
    shape.train.lr_schedule = "cosine";
    p.push_back(shape);
    Preset dmdt{"varstar-5class-2dcnn",
                "ours: Table 3 2D-CNN on honest dm-dt images of each star's own (catalog-model) light curve, 24 x 24, "
                "stratified folds",
                "5", "1000", "stratified", "2d-cnn", "dmdt-catalog:image_height=24,image_width=24",
                thesis_config("cnn2d", 0.0), ""};
    dmdt.train.lr_schedule = "cosine";
    p.push_back(dmdt);
    return p;
  }();
  return all;
}

const Preset& find_preset(const std::string& name) {
  for (const auto& p : presets())
    if (p.name == name) return p;
  std::string known;
  for (const auto& p : presets()) known += "\n  " + p.name + ": " + p.description;
  throw Error(fmt::format("unknown preset '{}'; known presets:{}", name, known));
}

}  // namespace varstar::train

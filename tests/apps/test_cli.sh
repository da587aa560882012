#!/usr/bin/env bash
# The varstar command line as a user meets it: --help tells the truth, bad
# input stops with file, line and column, a GPU that is not there is said
# once and before any data work, and predictions and scores made with
# simulated stars or a simulation-trained model say so.
# Usage: test_cli.sh PATH/TO/varstar
set -uo pipefail
varstar=$(realpath "$1")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
# expect_error WHAT TEXT COMMAND...: the command exits non-zero and says TEXT.
expect_error() {
  local what=$1 text=$2
  shift 2
  if "$@" >out.txt 2>err.txt; then
    fail "$what: exited 0"
  elif ! grep -q -F -- "$text" err.txt; then
    fail "$what: stderr lacks '$text':"
    cat err.txt
  fi
}

echo "--help"
help=$("$varstar" --help) || fail "varstar --help exited non-zero"
gpu_commands=(train cv evaluate predict demo bench profile prepare)
cpu_commands=(simulate render models)
for cmd in "${gpu_commands[@]}" "${cpu_commands[@]}"; do
  grep -q -E "^  $cmd +[A-Z]" <<<"$help" || fail "varstar --help does not list $cmd"
  cmd_help=$("$varstar" "$cmd" --help) || fail "varstar $cmd --help exited non-zero"
  has_device=0
  grep -q -E '^ +--device' <<<"$cmd_help" && has_device=1
  [[ " ${gpu_commands[*]} " == *" $cmd "* ]] && want=1 || want=0
  ((has_device == want)) || fail "varstar $cmd --help: --device listed $has_device, the main help says $want"
done
listed=$(sed -n '/^Subcommands:/,/^$/p' <<<"$help" | grep -c -E '^  [a-z]')
((listed == ${#gpu_commands[@]} + ${#cpu_commands[@]})) ||
  fail "varstar --help lists $listed subcommands; this test knows $((${#gpu_commands[@]} + ${#cpu_commands[@]}))"

echo "simulate"
"$varstar" simulate --stars-per-class 20 --out sim >sim.log 2>&1 || { cat sim.log; fail "simulate"; exit 1; }
for f in Table2.txt lightcurves.csv labels.csv catalog.csv; do [[ -s sim/$f ]] || fail "simulate wrote no $f"; done

echo "bad input"
curves=(--labels sim/labels.csv --periods sim/catalog.csv --epochs 1 --folds 2 --model cnn2d)
awk -F, -v OFS=, 'NR == 40 {$2 = $2 "x"} {print}' sim/lightcurves.csv >bad.csv
bad_time=$(sed -n 40p bad.csv | cut -d, -f2)
expect_error "a malformed time" "bad.csv:40 (column time): expected a number, found '$bad_time'" \
  "$varstar" cv --lightcurves bad.csv "${curves[@]}"
# The fifth star's period (fifth field), one digit made a letter, widths kept.
row=$(grep -n -m5 '^SIMJ' sim/Table2.txt | tail -1 | cut -d: -f1)
awk -v row="$row" 'NR == row {p = index($0, $5); $0 = substr($0, 1, p) "x" substr($0, p + 2)} {print}' \
  sim/Table2.txt >badcat.txt
bad_per=$(sed -n "${row}p" badcat.txt | awk '{print $5}')
[[ $bad_per == *x* ]] || fail "the test could not corrupt Table2.txt line $row"
expect_error "a malformed catalog value" "badcat.txt:$row (column Per): expected a number, found '$bad_per'" \
  "$varstar" cv --catalog badcat.txt --epochs 1
expect_error "a missing file" "missing.csv" "$varstar" cv --lightcurves missing.csv "${curves[@]}"
expect_error "an unknown device" "unknown device 'tpu'" "$varstar" cv --lightcurves sim/lightcurves.csv \
  "${curves[@]}" --device tpu
expect_error "an out-of-range option" "--folds" "$varstar" cv --lightcurves sim/lightcurves.csv --labels \
  sim/labels.csv --periods sim/catalog.csv --folds 0
# Training settings are refused when parsed, before any data work, in plain words.
expect_error "a learning rate of 0" "--lr: must be above 0, got 0" "$varstar" cv "${curves[@]}" --lr 0
expect_error "no epochs" "--epochs: must be at least 1, got 0" "$varstar" train --lightcurves sim/lightcurves.csv \
  --labels sim/labels.csv --periods sim/catalog.csv --epochs 0
expect_error "a misspelt optimizer" "--optimizer: adamm not in {adam,adamw,sgd}" "$varstar" cv "${curves[@]}" \
  --optimizer adamm
expect_error "a negative warm-up" "--warmup: must be at least 0, got -1" "$varstar" bench --warmup -1

echo "a GPU that is not there"
# cuda:99: no machine this runs on has a hundredth GPU, with or without a CUDA build.
if "$varstar" cv --lightcurves sim/lightcurves.csv "${curves[@]}" --device cuda:99 --out run \
  >out.txt 2>err.txt; then
  notes=$(grep -c "device 'cuda:99' requested" err.txt)
  ((notes == 1)) || fail "the fallback note was printed $notes times, not once"
  first=$(grep -n -m1 "device 'cuda:99' requested" err.txt | cut -d: -f1)
  read_line=$(grep -n -m1 "read and cleaned" err.txt | cut -d: -f1)
  [[ -n "$first" && -n "$read_line" && $first -lt $read_line ]] ||
    fail "the fallback note (line ${first:-none}) does not come before the data work (line ${read_line:-none})"
  [[ -s run/report.html && -s run/metrics.json ]] || fail "the run on the CPU wrote no report or metrics"
  # Light curves carry periods but no catalog amplitude: the baseline reads the period alone.
  grep -q -F "simple baseline" out.txt && grep -q -F "log10 Per of the input periods" out.txt ||
    fail "cv on light curves printed no period-only baseline"
else
  fail "cv --device cuda:99 did not fall back to the CPU:"
  cat err.txt
fi

echo "a preset with changed options: the thesis's figure says what differs"
if "$varstar" cv --catalog sim/Table2.txt --preset thesis-5class-cnnlstm --epochs 1 --folds 2 --quiet \
  --out preset_run >preset.txt 2>/dev/null; then
  grep -q -F "thesis-5class-cnnlstm, changed: --epochs 1, --folds 2: 2 fold(s)" preset.txt ||
    fail "the summary's title does not name the changed options"
  grep -q -F "(with the preset's settings; this run changed --epochs 1, --folds 2)" preset.txt ||
    fail "the thesis's figure is printed without the options this run changed"
  grep -q -F '"title": "thesis-5class-cnnlstm, changed: --epochs 1, --folds 2"' preset_run/config.json ||
    fail "config.json's title does not name the changed options"
else
  fail "cv with a preset"
fi
# The preset's own value, given explicitly, is no change.
"$varstar" cv --catalog sim/Table2.txt --preset thesis-5class-cnnlstm --epochs 1 --folds 2 --lr 2e-4 --quiet \
  --out preset_same >preset.txt 2>/dev/null || fail "cv with a preset and its own --lr"
grep -q -F "changed: --epochs 1, --folds 2: 2 fold(s)" preset.txt ||
  fail "the preset's own --lr was named as a change"

echo "train, predict, evaluate: simulated data is named as such"
if "$varstar" train --lightcurves sim/lightcurves.csv --labels sim/labels.csv --periods sim/catalog.csv \
  --model cnn2d --epochs 1 --out trained --quiet >train.log 2>&1; then
  model=trained/model.safetensors
  stars=$(tail -n +2 sim/labels.csv | wc -l)
  "$varstar" predict --model "$model" --lightcurves sim/lightcurves.csv --periods sim/catalog.csv --out pred.csv \
    2>err.txt || { cat err.txt; fail "predict"; }
  rows=$(grep -c -v '^#' pred.csv)
  ((rows == stars + 1)) || fail "predict wrote $rows lines after its comments for $stars stars"
  for note in "SIMULATED STARS" "SIMULATED TRAINING DATA"; do
    grep -q "^# $note" pred.csv || fail "predictions of simulated stars by a simulation-trained model lack '# $note'"
    grep -q "^\*\*\* $note" err.txt || fail "predict did not say '$note'"
  done
  mkdir plain && cp sim/lightcurves.csv sim/catalog.csv plain/  # the same stars, nothing beside them says simulated
  "$varstar" predict --model "$model" --lightcurves plain/lightcurves.csv --periods plain/catalog.csv --out plain.csv \
    2>/dev/null || fail "predict on plain/"
  grep -q "SIMULATED STARS" plain.csv && fail "stars from files that do not say so were called simulated"
  grep -q "^# SIMULATED TRAINING DATA" plain.csv || fail "a simulation-trained model's predictions lack the note"
  "$varstar" evaluate --model "$model" --lightcurves sim/lightcurves.csv --labels sim/labels.csv \
    --periods sim/catalog.csv --json eval.json >eval.txt 2>/dev/null || fail "evaluate"
  grep -q "accuracy" eval.txt || fail "evaluate printed no accuracy"
  grep -q "SIMULATED TRAINING DATA" eval.txt || fail "evaluate did not say the model was trained on simulated data"
  grep -q '"notices"' eval.json || fail "evaluate --json lacks the notices"
  expect_error "a missing model" "nope.safetensors" "$varstar" predict --model nope.safetensors \
    --lightcurves sim/lightcurves.csv --periods sim/catalog.csv
  head -c 100 "$model" >cut.safetensors
  expect_error "a truncated model" "cut.safetensors" "$varstar" predict --model cut.safetensors \
    --lightcurves sim/lightcurves.csv --periods sim/catalog.csv
else
  cat train.log
  fail "train"
fi

((failures == 0)) && echo "test_cli: all checks passed" || echo "test_cli: $failures check(s) failed"
((failures == 0))
